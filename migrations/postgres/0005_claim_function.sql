-- PostgreSQL only: the transfer engine's claim in one round trip. The steps are those of
-- SqlSevdeskRepository::ClaimNext on SQLite, where each statement runs in-process in
-- microseconds; over the network each was a round trip (six per claim, see docs/benchmarks.md
-- "PostgreSQL and several processes"). The contract tests run both.
--
-- Schools with due work at the priority (live 0 before backfill 1), least recently served first
-- (round-robin); per school: its turn (the connection row, SKIP LOCKED: claims of one school take
-- turns, so the in-flight limit holds across processes, and a school another claimer serves right
-- now is passed over, which `contended` reports), its running count against the limit, then the
-- oldest due transfer of a customer without a running one, claimed with a new lease and claim
-- number; the school's last_claim_at, and the "started" event when a message is given
-- ('{attempt}' is replaced by the attempt number).
CREATE FUNCTION hs_claim_transfer(p_owner TEXT, p_now BIGINT, p_lease_until BIGINT,
                                  p_max_in_flight BIGINT, p_live_only BOOLEAN,
                                  p_started_message TEXT)
RETURNS TABLE (claimed sevdesk_transfers, contended BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  v_priority BIGINT;
  v_school BIGINT;
  v_running BIGINT;
  v_row sevdesk_transfers;
  v_contended BOOLEAN := FALSE;
BEGIN
  FOREACH v_priority IN ARRAY ARRAY[0, 1]::BIGINT[] LOOP
    EXIT WHEN v_priority = 1 AND p_live_only;
    FOR v_school IN
      SELECT c.school_id FROM sevdesk_connections c
      WHERE c.enabled = 1 AND c.state = 'ok'
        AND (c.throttled_until IS NULL OR c.throttled_until <= p_now)
        AND (c.breaker_until IS NULL OR c.breaker_until <= p_now)
        -- A scalar subquery with LIMIT 1 stays a probe per school (its index by school_id): as
        -- EXISTS, the planner made a join of it that scanned every school's due transfers when
        -- the statistics were older than the backlog (measured: 20 ms per claim at 8,000 due).
        AND (SELECT t.id FROM sevdesk_transfers t WHERE t.school_id = c.school_id
             AND t.state IN ('queued', 'retry_wait') AND t.priority = v_priority
             AND t.next_attempt_at <= p_now LIMIT 1) IS NOT NULL
      ORDER BY c.last_claim_at, c.school_id
    LOOP
      PERFORM 1 FROM sevdesk_connections c WHERE c.school_id = v_school
        FOR UPDATE SKIP LOCKED;
      IF NOT FOUND THEN
        v_contended := TRUE;
        CONTINUE;
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
          AND state IN ('queued', 'retry_wait')
        RETURNING * INTO v_row;
      CONTINUE WHEN NOT FOUND;
      UPDATE sevdesk_connections SET last_claim_at = p_now WHERE school_id = v_school;
      IF p_started_message IS NOT NULL THEN
        INSERT INTO sevdesk_transfer_events (transfer_id, at, kind, message)
          VALUES (v_row.id, p_now, 'started',
                  replace(p_started_message, '{attempt}', v_row.attempts::TEXT));
      END IF;
      claimed := v_row;
      contended := FALSE;
      RETURN NEXT;
      RETURN;
    END LOOP;
  END LOOP;
  claimed := NULL;
  contended := v_contended;
  RETURN NEXT;
END
$$;

-- The claim takes the oldest due transfer by (next_attempt_at, id). The index ended at
-- next_attempt_at, so PostgreSQL read and sorted every due transfer of a school with equal times
-- (a backfill queued in one transaction) on each claim: claims slowed down with the backlog.
-- SQLite's index ends with the rowid (id) implicitly and was not affected.
DROP INDEX sevdesk_transfers_due;
CREATE INDEX sevdesk_transfers_due ON sevdesk_transfers(school_id, priority, next_attempt_at, id)
  WHERE state IN ('queued', 'retry_wait');
