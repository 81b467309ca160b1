/**
 * The `{"actions": [...]}` answer of command (on exit 0), HTTP and plugin authorizers. Only the
 * shape is checked here; the chain then keeps only actions that were requested, so an answer can
 * never widen a grant.
 */
export function parseActionsAnswer(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const actions = (value as { actions?: unknown }).actions;
  if (!Array.isArray(actions) || actions.length > 64) return undefined;
  return actions.every((a) => typeof a === 'string') ? actions : undefined;
}
