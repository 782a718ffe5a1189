import { ROUTES, type HttpMethod, type Route } from './routes';

/** The route a request's method and path select, API Gateway's way. */
export type RouteMatch =
  | { kind: 'match'; route: Route; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

/** A route's path template split once: literal segments, and `{name}` parameters. */
type CompiledTemplate = ReadonlyArray<{ literal: string } | { parameter: string }>;

const compiledRoutes = new WeakMap<readonly Route[], Array<{ route: Route; template: CompiledTemplate; parameters: number }>>();

function compile(routes: readonly Route[]) {
  let compiled = compiledRoutes.get(routes);
  if (!compiled) {
    compiled = routes.map((route) => {
      const template = route.path.split('/').map((part) => {
        const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
        return parameter ? { parameter } : { literal: part };
      });
      return { route, template, parameters: template.filter((part) => 'parameter' in part).length };
    });
    compiledRoutes.set(routes, compiled);
  }
  return compiled;
}

function matchPath(template: CompiledTemplate, pathParts: readonly string[]): Record<string, string> | undefined {
  if (template.length !== pathParts.length) return undefined;
  for (let i = 0; i < template.length; i += 1) {
    const part = template[i]!;
    if ('literal' in part && part.literal !== pathParts[i]) return undefined;
    if ('parameter' in part && pathParts[i]!.length === 0) return undefined;
  }
  const parameters: Record<string, string> = {};
  for (let i = 0; i < template.length; i += 1) {
    const part = template[i]!;
    if (!('parameter' in part)) continue;
    const actual = pathParts[i]!;
    try {
      parameters[part.parameter] = decodeURIComponent(actual);
    } catch {
      // Not UTF-8 (`%ff`, an encoded lone surrogate): kept as sent, so that the route's schema refuses it by name.
      parameters[part.parameter] = actual;
    }
  }
  return parameters;
}

/** API Gateway semantics: a literal path segment wins over a path parameter. */
export function matchRoute(method: string, path: string, routes: readonly Route[] = ROUTES): RouteMatch {
  const pathParts = path.split('/');
  let best: { route: Route; pathParameters: Record<string, string>; parameters: number } | undefined;
  const others: Array<{ method: HttpMethod; parameters: number }> = [];
  for (const { route, template, parameters } of compile(routes)) {
    // The same-method match with the fewest parameters (the first of equals) wins; other methods only make a 405.
    if (route.method === method && best !== undefined && best.parameters <= parameters) continue;
    const pathParameters = matchPath(template, pathParts);
    if (!pathParameters) continue;
    if (route.method === method) best = { route, pathParameters, parameters };
    else others.push({ method: route.method, parameters });
  }
  if (best) return { kind: 'match', route: best.route, pathParameters: best.pathParameters };
  if (others.length === 0) return { kind: 'not-found' };
  return { kind: 'method-not-allowed', allowed: [...new Set(others.sort((a, b) => a.parameters - b.parameters).map((other) => other.method))] };
}
