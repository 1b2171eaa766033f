// German formats for money, quantities and dates, and the parsers for what people type.

const euroFormat = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' });
const plainFormat = new Intl.NumberFormat('de-DE', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const intFormat = new Intl.NumberFormat('de-DE');
const dateTimeFormat = new Intl.DateTimeFormat('de-DE', {
  timeZone: 'Europe/Berlin', day: '2-digit', month: '2-digit', year: 'numeric',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});

// 123456 -> "1.234,56 €" (with a no-break space before the sign, as Intl does).
export function euro(cents) {
  if (cents === null || cents === undefined || Number.isNaN(cents)) return '–';
  return euroFormat.format(cents / 100);
}

// 123456 -> "1.234,56" (for input fields).
export function euroPlain(cents) {
  if (cents === null || cents === undefined) return '';
  return plainFormat.format(cents / 100);
}

export function integer(n) {
  return intFormat.format(n);
}

// "2026-11-27" -> "27.11.2026"
export function date(iso) {
  if (!iso) return '–';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : iso;
}

// What a person types as a date: "27.11.2026", "27.11.26", "1.2.2026" or "2026-11-27" ->
// "2026-11-27"; '' when empty; null when it is no valid date.
export function parseDateDe(text) {
  const s = String(text ?? '').trim();
  if (s === '') return '';
  let y; let m; let d;
  let match = /^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$/.exec(s);
  if (match) {
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (match[3].length === 2) y += 2000;
  } else if ((match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s))) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else {
    return null;
  }
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export const DATE_HINT = 'Bitte ein Datum wie 27.11.2026 eingeben.';

// "2026-11-27T13:04:05Z" -> "27.11.2026, 14:04:05" (Berlin time)
export function dateTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTimeFormat.format(d);
}

// Today in Berlin as "YYYY-MM-DD".
export function todayIso() {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit',
  }).format(new Date());
  return parts;
}

// What a person types as an amount: "1.234,56", "1234,5", "12", "12.50" -> cents; null if invalid.
export function parseEuro(text) {
  let s = String(text ?? '').trim().replace(/\s|€/g, '');
  if (s === '') return null;
  let negative = false;
  if (s.startsWith('-')) { negative = true; s = s.slice(1); }
  let intPart;
  let frac = '';
  if (s.includes(',')) {
    const [a, b, ...rest] = s.split(',');
    if (rest.length) return null;
    if (!/^\d{1,3}(\.\d{3})*$|^\d+$/.test(a)) return null;
    intPart = a.replace(/\./g, '');
    frac = b;
  } else if (/^\d{1,3}(\.\d{3})+$/.test(s)) {
    intPart = s.replace(/\./g, '');  // "1.234" is one thousand two hundred thirty-four
  } else if (/^\d+(\.\d{1,2})?$/.test(s)) {
    [intPart, frac = ''] = s.split('.');
  } else {
    return null;
  }
  if (!/^\d{0,2}$/.test(frac)) return null;
  const cents = Number(intPart) * 100 + Number((frac + '00').slice(0, 2));
  if (!Number.isSafeInteger(cents)) return null;
  return negative ? -cents : cents;
}

// "1,5" or "1.5" -> "1.5" (the API's form); null if invalid (max. 3 decimals).
export function parseQuantity(text) {
  const s = String(text ?? '').trim().replace(',', '.');
  if (!/^\d+(\.\d{1,3})?$/.test(s)) return null;
  return s;
}

// "1.5" -> "1,5"
export function quantityDe(apiText) {
  return String(apiText ?? '').replace('.', ',');
}

// Quantity (API form) times price in cents, rounded half away from zero like the server.
export function lineAmount(quantityApi, unitPriceCents) {
  const [i, f = ''] = quantityApi.split('.');
  const milli = Number(i) * 1000 + Number((f + '000').slice(0, 3));
  const product = milli * unitPriceCents;
  const q = Math.trunc(product / 1000);
  const r = product - q * 1000;
  if (2 * Math.abs(r) >= 1000) return product < 0 ? q - 1 : q + 1;
  return q;
}

function roundDiv(n, d) {
  const q = Math.trunc(n / d);
  const r = n - q * d;
  if (2 * Math.abs(r) >= d) return n < 0 ? q - 1 : q + 1;
  return q;
}

// Same grouping and rounding as the server's ComputeTotals.
export function computeTotals(lines, priceEntry) {
  const sums = new Map();
  for (const l of lines) sums.set(l.vat_rate, (sums.get(l.vat_rate) || 0) + l.amount);
  const groups = [];
  let net = 0; let tax = 0; let gross = 0;
  for (const rate of [...sums.keys()].sort((a, b) => a - b)) {
    const sum = sums.get(rate);
    const g = { rate };
    if (priceEntry === 'net') {
      g.net = sum; g.tax = roundDiv(sum * rate, 100); g.gross = g.net + g.tax;
    } else {
      g.gross = sum; g.net = roundDiv(sum * 100, 100 + rate); g.tax = g.gross - g.net;
    }
    net += g.net; tax += g.tax; gross += g.gross;
    groups.push(g);
  }
  return { groups, net, tax, gross };
}

export function seconds(n) {
  if (n === null || n === undefined) return '';
  if (n < 60) return `${n} s`;
  const m = Math.floor(n / 60);
  const s = n % 60;
  return s ? `${m} min ${s} s` : `${m} min`;
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} Byte`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toLocaleString('de-DE', { maximumFractionDigits: 1 })} KB`;
  return `${(bytes / 1024 / 1024).toLocaleString('de-DE', { maximumFractionDigits: 1 })} MB`;
}
