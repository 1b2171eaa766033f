-- token_fingerprint_tested held a plain SHA-256 of the sevdesk token (issue 13): with a copy of
-- the database a guessed token could be confirmed. It is now a keyed BLAKE2b under the secret key
-- ("tf1:" + hex, SecretBox::Fingerprint). The old values cannot be converted here (the key is
-- not in the database), so they are cleared. Nothing decides on this column (activating and
-- transferring follow last_test_ok), so a cleared value only says "no fingerprint of the tested
-- token"; the next successful "Verbindung testen" stores the keyed one.
UPDATE sevdesk_connections SET token_fingerprint_tested = ''
WHERE token_fingerprint_tested NOT LIKE 'tf1:%';
