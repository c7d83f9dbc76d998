/**
 * The tenant of events that belong to no tenant: prompt versions, circuit breaker
 * changes. No tenant may be created under this id.
 */
export const SYSTEM_TENANT_ID = 'system';
