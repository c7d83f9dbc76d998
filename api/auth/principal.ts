/** Who is calling: resolved from the API key on every request. */
export interface Principal {
  tenantId: string;
  keyId: string;
  scopes: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}
