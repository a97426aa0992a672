import type { SchemaError } from '../schema-check.js';

/** Validates a plain connector value against schemas/connector.schema.json, filling in defaults. */
declare const validate: ((data: unknown) => boolean) & { errors?: SchemaError[] | null };
export default validate;
