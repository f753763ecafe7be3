/** A model's field in the routing table: models are named per tenant. */
export const routeField = (tenantId: string, model: string): string => `${tenantId}/${model}`;
