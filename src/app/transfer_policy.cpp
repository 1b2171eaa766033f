#include "app/transfer_policy.hpp"

#include <algorithm>

namespace hs::app {

namespace {

using std::chrono::milliseconds;

constexpr const char* kAutomatic = "Nichts zu tun: es geht automatisch weiter.";

struct Texts {
  std::string code;
  std::string message;
  std::string hint;
};

// The transfer leaves the worker: no lease any more.
Transfer Released(Transfer t) {
  t.lease_owner.clear();
  t.lease_until.reset();
  return t;
}

Transfer WithTexts(Transfer t, Texts texts) {
  t.last_error_code = std::move(texts.code);
  t.last_error_message = std::move(texts.message);
  t.last_error_hint = std::move(texts.hint);
  return t;
}

Decision Nothing(const Transfer& t) {
  return Decision{t, {}, {}, Write::kNothing, {}};
}

// Back to the queue at `until` without spending an attempt (the claim counted one).
Decision Requeue(const Transfer& t, Instant until, Texts texts, std::string event_kind = "waiting",
                 ConnectionEffect connection = {}) {
  Transfer next = WithTexts(Released(t), std::move(texts));
  next.state = TransferState::kQueued;
  next.attempts = std::max(0, t.attempts - 1);
  next.next_attempt_at = until;
  return Decision{next,
                  {{std::move(event_kind), next.last_error_message}},
                  std::move(connection),
                  Write::kRelaxed,
                  {}};
}

// 401 or 403: the school's transfers wait for a working token; nothing failed.
Decision PauseSchool(const Transfer& t, Instant now, bool plan) {
  const std::string message =
      plan ? "Der sevdesk-Tarif erlaubt keinen API-Zugriff (Buchhaltung Pro nötig)."
           : "sevdesk lehnt den API-Token ab (ungültig oder zurückgezogen).";
  Decision d = Requeue(t, now,
                       {"auth", message,
                        "Unter Einstellungen > Erweiterungen > Sevdesk einen gültigen Token "
                        "eintragen und „Verbindung testen“. Danach geht die Übertragung von selbst "
                        "weiter."},
                       "paused", {ConnectionChange::kPauseAuth, message, {}});
  d.log_warning = "school " + std::to_string(t.school_id) + " paused: sevdesk answered " +
                  (plan ? "403" : "401");
  return d;
}

// 429: sevdesk's Retry-After, else a backoff that grows with the school's 429s in a row (the
// transfer's own attempts are given back, so they cannot tell).
Decision Throttle(const Transfer& t, const Outcome& o, Instant now, const SevdeskSettings& s,
                  Random& random) {
  const milliseconds delay =
      o.retry_after ? std::chrono::duration_cast<milliseconds>(*o.retry_after)
                    : BackoffDelay(o.throttle_streak, s.backoff_base, s.backoff_cap, random) +
                          milliseconds(500);
  const Instant until = now + delay;
  return Requeue(t, until,
                 {"rate_limited", "sevdesk bremst zu viele Anfragen; die Übertragung wartet kurz.",
                  kAutomatic},
                 "rate_limited", {ConnectionChange::kThrottle, {}, until});
}

Decision Failed(const Transfer& t, Texts texts, ConnectionEffect connection = {}) {
  Transfer next = WithTexts(Released(t), std::move(texts));
  next.state = TransferState::kFailed;
  return Decision{
      next, {{"failed", next.last_error_message}}, std::move(connection), Write::kRelaxed, {}};
}

// Permanent: never retried automatically (sevdesk may block tokens that send many failing
// requests); after several in a row the school's transfers pause a while (the breaker).
Decision Reject(const Transfer& t, const Outcome& o) {
  Transfer refused = t;
  refused.phase = TransferPhase::kNone;  // the request was refused, nothing was created
  return Failed(refused,
                {"rejected", "sevdesk hat den Beleg abgelehnt: " + o.message,
                 !o.hint.empty() ? o.hint
                                 : "Bitte die Angaben prüfen (Kunde, Steuersatz, Erlöskonto in den "
                                   "sevdesk-Einstellungen) und danach „Erneut versuchen“ wählen."},
                {ConnectionChange::kCountRejection, {}, {}});
}

// Unreachable, uncertain, 5xx, time-out, our own storage: retried with backoff until the
// attempts are used up. The posting mark stays as it is: an uncertain save is looked up next.
Decision Retry(const Transfer& t, const Outcome& o, Instant now, const SevdeskSettings& s,
               Random& random) {
  const std::string code = o.uncertain ? "uncertain" : "unavailable";
  if (t.attempts >= s.max_attempts) {
    return Failed(t, {code,
                      "sevdesk war nach " + std::to_string(t.attempts) +
                          " Versuchen nicht erreichbar: " + o.message,
                      "Die Übertragung wird nicht mehr automatisch wiederholt. Bitte später "
                      "„Erneut versuchen“ wählen."});
  }
  milliseconds delay = BackoffDelay(t.attempts, s.backoff_base, s.backoff_cap, random);
  if (o.retry_after) {
    delay = std::max(delay, std::chrono::duration_cast<milliseconds>(*o.retry_after));
  }
  Transfer next = WithTexts(
      Released(t), {code, o.message, "Nichts zu tun: der nächste Versuch läuft automatisch."});
  next.state = TransferState::kRetryWait;
  next.next_attempt_at = now + delay;
  return Decision{next,
                  {{"retry_scheduled",
                    "Versuch " + std::to_string(t.attempts) + " fehlgeschlagen: " + o.message}},
                  {},
                  Write::kRelaxed,
                  {}};
}

// Transferred, and never silently with other sums than the invoice's: the receipt shows both
// amounts until someone acts (ADR 0010).
Decision Complete(const Transfer& t, const Outcome& o, Instant now) {
  Transfer next = WithTexts(Released(t), {});
  next.state = TransferState::kTransferred;
  next.phase = TransferPhase::kNone;
  next.voucher_id = o.voucher_id;
  next.transferred_at = now;
  Decision d{next, {}, {}, Write::kComplete, {}};
  if (!o.sum_warning.empty()) {
    d.transfer = WithTexts(next, {"sum_mismatch", o.sum_warning,
                                  "Bitte den Beleg in sevdesk öffnen und die Beträge an die "
                                  "Rechnung anpassen; maßgeblich ist die Rechnung."});
    d.events.push_back({"sum_mismatch", o.sum_warning});
    d.log_warning =
        "transfer " + std::to_string(t.id) + ": sums in sevdesk differ from the invoice";
  }
  d.events.push_back({"transferred", o.message});
  if (o.ends_rejection_row) {
    // The connection must be written too, which the one-statement completion cannot.
    d.connection = {ConnectionChange::kEndRejectionRow, {}, {}};
    d.write = Write::kRelaxed;
  }
  return d;
}

}  // namespace

Decision Decide(const Transfer& t, const Outcome& o, Instant now, const SevdeskSettings& settings,
                Random& random) {
  switch (o.ending) {
    case Ending::kLeaseLost:
      return Nothing(t);
    case Ending::kStopped:
      return Requeue(t, now, {});
    case Ending::kConnectionPaused:
      return Requeue(t, now,
                     {"auth", "Die sevdesk-Verbindung ist pausiert.",
                      "Unter Einstellungen > Erweiterungen > Sevdesk die Verbindung testen."});
    case Ending::kAwaitingMatch:
      // Looked at again daily (a decision wakes it at once): nothing is sent meanwhile.
      return Requeue(t, now + settings.match_recheck,
                     {std::string(kAwaitingMatchCode),
                      "Wartet auf Kundenabgleich: in sevdesk gibt es vielleicht schon einen "
                      "Kontakt für diesen Kunden.",
                      "Unter Einstellungen › Erweiterungen › Sevdesk › Kundenabgleich den Kunden "
                      "mit seinem sevdesk-Kontakt verknüpfen oder „Neu in sevdesk anlegen“ "
                      "wählen. Danach geht die Übertragung von selbst weiter."},
                     "awaiting_match");
    case Ending::kSettling:
      return Requeue(t, o.until,
                     {"settling",
                      "Ob sevdesk die letzte Anfrage schon ausgeführt hat, zeigt seine Suche erst "
                      "nach kurzer Zeit; danach wird nachgesehen statt doppelt angelegt.",
                      kAutomatic});
    case Ending::kTokenRefused:
      return PauseSchool(t, now, false);
    case Ending::kPlanRefused:
      return PauseSchool(t, now, true);
    case Ending::kRateLimited:
      return Throttle(t, o, now, settings, random);
    case Ending::kRejected:
      return Reject(t, o);
    case Ending::kTransient:
      return Retry(t, o, now, settings, random);
    case Ending::kUnreadable:
      return Failed(t, {"internal", "Der Beleg kann nicht gelesen werden.",
                        "Bitte den Support kontaktieren."});
    case Ending::kTransferred:
      return Complete(t, o, now);
  }
  return Nothing(t);
}

void ApplyConnectionEffect(const ConnectionEffect& effect, SevdeskConnection& c, Instant now,
                           const SevdeskSettings& settings) {
  switch (effect.change) {
    case ConnectionChange::kNone:
      return;
    case ConnectionChange::kPauseAuth:
      c.state = ConnectionState::kPausedAuth;
      c.paused_reason = effect.reason;
      c.last_test_ok = false;
      break;
    case ConnectionChange::kThrottle:
      c.throttled_until = effect.until;
      break;
    case ConnectionChange::kCountRejection:
      if (++c.consecutive_rejections >= settings.breaker_threshold) {
        c.breaker_until = now + settings.breaker_pause;
        c.consecutive_rejections = 0;
      }
      break;
    case ConnectionChange::kEndRejectionRow:
      c.consecutive_rejections = 0;
      break;
  }
  c.updated_at = now;
}

Outcome EndedAs(Ending ending) {
  Outcome o;
  o.ending = ending;
  return o;
}

Outcome Settling(Instant until) {
  Outcome o = EndedAs(Ending::kSettling);
  o.until = until;
  return o;
}

Outcome Transferred(std::string voucher_id, std::string message, std::string sum_warning) {
  Outcome o = EndedAs(Ending::kTransferred);
  o.voucher_id = std::move(voucher_id);
  o.message = std::move(message);
  o.sum_warning = std::move(sum_warning);
  return o;
}

Outcome OutcomeOf(const Error& e) {
  if (e.reason == kLeaseLostReason) return EndedAs(Ending::kLeaseLost);
  if (e.reason == kStoppingReason) return EndedAs(Ending::kStopped);
  Outcome o;
  o.message = e.message;
  o.retry_after = e.retry_after;
  switch (e.code) {
    case ErrorCode::kUnauthenticated:
      o.ending = Ending::kTokenRefused;
      break;
    case ErrorCode::kForbidden:
      o.ending = Ending::kPlanRefused;
      break;
    case ErrorCode::kRateLimited:
      o.ending = Ending::kRateLimited;
      break;
    case ErrorCode::kInvalidArgument:
      o.ending = Ending::kRejected;
      break;
    default:
      o.ending = Ending::kTransient;
      o.uncertain = IsUncertain(e);
  }
  return o;
}

bool IsUncertain(const Error& e) {
  return e.code == ErrorCode::kUnavailable && e.reason == sevdesk_reason::kUncertain;
}

bool CertainlyNotApplied(const Error& e) {
  return e.code == ErrorCode::kUnauthenticated || e.code == ErrorCode::kForbidden ||
         e.code == ErrorCode::kInvalidArgument || e.code == ErrorCode::kRateLimited ||
         (e.code == ErrorCode::kUnavailable && e.reason == sevdesk_reason::kUnreachable);
}

bool IsRejection(const Error& e, std::string_view reason) {
  return e.code == ErrorCode::kInvalidArgument && e.reason == reason;
}

Transfer AfterFailedSave(Transfer t, const Error& e) {
  if (CertainlyNotApplied(e)) t.create_sent_at.reset();
  // Kept after an uncertain outcome, and after any other unavailability (ours included) that
  // does not prove the request never left.
  const bool may_exist =
      e.code == ErrorCode::kUnavailable && e.reason != sevdesk_reason::kUnreachable;
  if (!may_exist) t.phase = TransferPhase::kNone;
  return t;
}

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, Random& random) {
  std::int64_t ceiling = base.count();
  for (int i = 1; i < attempt && ceiling < cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, cap.count());
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(random.Below(static_cast<std::uint64_t>(ceiling) + 1)));
}

}  // namespace hs::app
