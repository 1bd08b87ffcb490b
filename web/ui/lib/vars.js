// Dashboard variables: "$name"/"${name}" substitution, the choices of a variable select, and
// the full URL state of a dashboard view (time range, refresh and every variable filled in;
// refresh "off" is written out so that a link never falls back to the dashboard's default).

export const ALL = '.*';
const VAR_RE = /\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|\$([a-zA-Z_][a-zA-Z0-9_]*)/g;

/** The URL parameter that carries a variable. */
export const varParam = (name) => `var-${name}`;

/** Text with $name and ${name} replaced by the values; unknown names are left as they are. */
export function substitute(text, values) {
  return String(text ?? '').replace(VAR_RE, (whole, braced, bare) => {
    const name = braced ?? bare;
    return Object.hasOwn(values, name) ? values[name] : whole;
  });
}

/**
 * The choices of a variable's select as [{value, label}]: "All" first when allowed, then the
 * label values; a current value not among them (from a link) is kept so the view matches.
 */
export function variableChoices(variable, values, current) {
  const choices = variable.all ? [{ value: ALL, label: 'All' }] : [];
  for (const v of values) choices.push({ value: v, label: v });
  if (current !== undefined && current !== null && !choices.some((c) => c.value === current)) {
    choices.push({ value: current, label: current === ALL ? 'All' : current });
  }
  return choices;
}

/** A variable's value when the URL has none: its default, else All, else its first value. */
export function defaultValue(variable, values) {
  if (variable.default) return variable.default;
  if (variable.all) return ALL;
  return values[0] ?? '';
}

/**
 * The complete URL parameters of a dashboard view: `from`, `to`, `refresh` and one `var-`
 * per variable, taken from the URL when present, else from the dashboard's defaults.
 * `optionsByName` maps each variable name to its label values.
 */
export function dashboardParams(dashboard, params, optionsByName) {
  const out = {
    from: params.from || `now-${dashboard.time || '6h'}`,
    to: params.to || 'now',
    refresh: params.refresh || dashboard.refresh || 'off',
  };
  for (const variable of dashboard.variables ?? []) {
    const key = varParam(variable.name);
    out[key] = params[key] ?? defaultValue(variable, optionsByName[variable.name] ?? []);
  }
  return out;
}

/** Variable values by name from a view's URL parameters. */
export function variableValues(dashboard, params) {
  const values = {};
  for (const variable of dashboard.variables ?? []) values[variable.name] = params[varParam(variable.name)] ?? '';
  return values;
}

/** The service filter of a dashboard's events after substitution; null means every service. */
export function eventService(eventsConfig, values) {
  const service = substitute(eventsConfig?.service ?? '', values).trim();
  return service === '' || service === ALL ? null : service;
}
