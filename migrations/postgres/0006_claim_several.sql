-- PostgreSQL only: the transfer engine claims for all free workers of a process in one round trip
-- (ADR 0009). Up to p_limit transfers, of them at most p_backfill_limit backfill, with the rules
-- of hs_claim_transfer (migration 0005; dropped at the end, ClaimNext is now a claim of one):
-- live before backfill; per school its turn (SKIP LOCKED), its in-flight limit and one running
-- transfer per customer; the oldest due first. Round-robin inside the call: one transfer per
-- school and round, least recently served school first. The school list is read once per
-- priority and each school's turn locked once per call (the single claims did both per
-- transfer); the running count is read per claim and sees this call's claims. Answers the
-- claimed rows, or one row with a NULL transfer and whether due work was passed over because
-- another claimer held its school's turn.
CREATE FUNCTION hs_claim_transfers(p_owner TEXT, p_now BIGINT, p_lease_until BIGINT,
                                   p_max_in_flight BIGINT, p_limit BIGINT,
                                   p_backfill_limit BIGINT, p_started_message TEXT)
RETURNS TABLE (claimed sevdesk_transfers, contended BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  v_priority BIGINT;
  v_schools BIGINT[];
  v_more BIGINT[];             -- schools that gave a transfer this round: they may have more
  v_turns BIGINT[] := '{}';    -- schools whose turn this call holds
  v_served BIGINT[] := '{}';
  v_school BIGINT;
  v_running BIGINT;
  v_row sevdesk_transfers;
  v_cap BIGINT;
  v_taken BIGINT;
  v_claimed BIGINT := 0;
  v_contended BOOLEAN := FALSE;
BEGIN
  FOREACH v_priority IN ARRAY ARRAY[0, 1]::BIGINT[] LOOP
    v_cap := p_limit - v_claimed;
    IF v_priority = 1 THEN
      v_cap := LEAST(v_cap, p_backfill_limit);
    END IF;
    CONTINUE WHEN v_cap <= 0;
    v_taken := 0;
    SELECT array_agg(c.school_id ORDER BY c.last_claim_at, c.school_id) INTO v_schools
      FROM sevdesk_connections c
      WHERE c.enabled = 1 AND c.state = 'ok'
        AND (c.throttled_until IS NULL OR c.throttled_until <= p_now)
        AND (c.breaker_until IS NULL OR c.breaker_until <= p_now)
        -- A scalar probe per school (as EXISTS it became a join over every due transfer, see
        -- migration 0005), ordered as the due index so that it stays an index probe:
        -- unordered, statistics that counted many due rows made it a sequential scan that read
        -- past every finished transfer at the head of the table (claims slowed down as the
        -- backlog was worked off; docs/benchmarks.md, "After ADR 0009").
        AND (SELECT t.id FROM sevdesk_transfers t WHERE t.school_id = c.school_id
             AND t.state IN ('queued', 'retry_wait') AND t.priority = v_priority
             AND t.next_attempt_at <= p_now ORDER BY t.next_attempt_at, t.id LIMIT 1) IS NOT NULL;
    WHILE v_taken < v_cap AND COALESCE(cardinality(v_schools), 0) > 0 LOOP
      v_more := '{}';
      FOREACH v_school IN ARRAY v_schools LOOP
        EXIT WHEN v_taken >= v_cap;
        IF NOT (v_school = ANY (v_turns)) THEN
          PERFORM 1 FROM sevdesk_connections c WHERE c.school_id = v_school
            FOR UPDATE SKIP LOCKED;
          IF NOT FOUND THEN
            v_contended := TRUE;
            CONTINUE;
          END IF;
          v_turns := v_turns || v_school;
        END IF;
        SELECT COUNT(*) INTO v_running FROM sevdesk_transfers r
          WHERE r.school_id = v_school AND r.state = 'running';
        CONTINUE WHEN v_running >= p_max_in_flight;
        UPDATE sevdesk_transfers SET state = 'running', lease_owner = p_owner,
            lease_until = p_lease_until, attempts = attempts + 1, lease_claim = lease_claim + 1,
            updated_at = p_now
          WHERE id = (SELECT t.id FROM sevdesk_transfers t
                      WHERE t.school_id = v_school AND t.state IN ('queued', 'retry_wait')
                        AND t.priority = v_priority AND t.next_attempt_at <= p_now
                        AND NOT EXISTS (SELECT 1 FROM sevdesk_transfers r
                                        WHERE r.school_id = t.school_id
                                          AND r.customer_id = t.customer_id
                                          AND r.state = 'running')
                      ORDER BY t.next_attempt_at, t.id LIMIT 1 FOR UPDATE SKIP LOCKED)
          -- No second state test: the row is locked, and FOR UPDATE tested its newest version.
          -- With one, the planner found the row by id in the due index (whose predicate the
          -- test matched) instead of the primary key: a scan of the due index.
          RETURNING * INTO v_row;
        CONTINUE WHEN NOT FOUND;
        v_more := v_more || v_school;
        IF NOT (v_school = ANY (v_served)) THEN
          v_served := v_served || v_school;
        END IF;
        IF p_started_message IS NOT NULL THEN
          INSERT INTO sevdesk_transfer_events (transfer_id, at, kind, message)
            VALUES (v_row.id, p_now, 'started',
                    replace(p_started_message, '{attempt}', v_row.attempts::TEXT));
        END IF;
        v_taken := v_taken + 1;
        v_claimed := v_claimed + 1;
        claimed := v_row;
        contended := FALSE;
        RETURN NEXT;
      END LOOP;
      v_schools := v_more;
    END LOOP;
  END LOOP;
  IF cardinality(v_served) > 0 THEN
    UPDATE sevdesk_connections SET last_claim_at = p_now WHERE school_id = ANY (v_served);
  END IF;
  IF v_claimed = 0 THEN
    claimed := NULL;
    contended := v_contended;
    RETURN NEXT;
  END IF;
END
$$;

-- Events are written by the repository only, each with a write of its transfer in the same
-- transaction (CompleteClaimedTransfer inserts them only when its fenced update matched), and
-- transfers are never deleted. The foreign key's check (a FOR KEY SHARE lookup of the transfer
-- per event, three events per transfer) was the costliest statement of the no-op benchmark:
-- 66 us of server time each, more than the claim's own update (docs/benchmarks.md, ADR 0009).
ALTER TABLE sevdesk_transfer_events DROP CONSTRAINT sevdesk_transfer_events_transfer_id_fkey;

DROP FUNCTION hs_claim_transfer(TEXT, BIGINT, BIGINT, BIGINT, BOOLEAN, TEXT);
