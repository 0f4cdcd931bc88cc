/**
 * Privacy assertions shared by the pseudonymiser, camera and vehicle-bus tests: a text must not
 * contain a raw identifier, nor its unkeyed SHA-256 (hex, base64, base64url), nor a prefix of any of
 * those longer than six characters.
 */
import { createHash } from 'node:crypto';

/** The raw id and its unkeyed digests in every usual spelling. */
export function secretForms(raw: string): string[] {
  const digest = createHash('sha256').update(raw, 'utf8').digest();
  return [raw, digest.toString('hex'), digest.toString('hex').toUpperCase(), digest.toString('base64'), digest.toString('base64url')];
}

/** The first leaking form found in `text`, or undefined. Raw ids under 7 characters are checked whole. */
export function findLeak(text: string, raw: string): string | undefined {
  for (const form of secretForms(raw)) {
    const probe = form.length > 6 ? form.slice(0, 7) : form;
    if (text.includes(probe)) return form === raw ? `raw id ${raw}` : `unkeyed digest of ${raw} (${probe}…)`;
  }
  return undefined;
}
