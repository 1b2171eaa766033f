-- Receipt counts per school, type and day, for the `total` of the receipts list: counting the
-- receipts of a school with 100,000 of them costs milliseconds per request (and an index-only
-- scan only while the visibility map is current), summing these rows (at most two per day with
-- receipts, ~730 a year) well under one. A type and/or date filter sums the matching days only;
-- text and sevdesk-status filters still count the receipts themselves.
--
-- A trigger keeps the counts, inside the transaction that writes the receipt, so they cannot
-- drift from the receipts whatever code path inserts one (finalize, cancel, expense upload, demo
-- data, a future import). Receipts are never updated or deleted by the product (GoBD); the
-- update and delete cases keep the counts right should an operator correct a row by hand.
-- Concurrent inserts of one school, type and day wait for each other's commit on the count row;
-- finalizations of a school are serialized by invoice_sequences already.

-- A process of the previous version may still be inserting receipts: block that until this
-- transaction (backfill and trigger) commits, so no receipt is missed by both.
LOCK TABLE receipts IN SHARE MODE;

CREATE TABLE receipt_day_counts (
  school_id BIGINT NOT NULL REFERENCES schools(id),
  type TEXT NOT NULL,
  date TEXT NOT NULL,
  receipt_count BIGINT NOT NULL,
  PRIMARY KEY (school_id, type, date)
);

-- Backfill the receipts written before this migration.
INSERT INTO receipt_day_counts (school_id, type, date, receipt_count)
  SELECT school_id, type, date, COUNT(*) FROM receipts GROUP BY school_id, type, date;

CREATE FUNCTION receipt_day_counts_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE receipt_day_counts SET receipt_count = receipt_count - 1
      WHERE school_id = OLD.school_id AND type = OLD.type AND date = OLD.date;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO receipt_day_counts (school_id, type, date, receipt_count)
      VALUES (NEW.school_id, NEW.type, NEW.date, 1)
      ON CONFLICT (school_id, type, date)
      DO UPDATE SET receipt_count = receipt_day_counts.receipt_count + 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER receipts_count AFTER INSERT OR DELETE OR UPDATE OF school_id, type, date
  ON receipts FOR EACH ROW EXECUTE FUNCTION receipt_day_counts_maintain();
