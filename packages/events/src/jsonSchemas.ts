import * as z from 'zod';
import { DETAIL_SCHEMAS, DETAIL_TYPES, EVENT_SOURCE, SCHEMA_VERSION, type DetailType } from './schemas';

/** The whole event as an EventBridge rule target receives it, for one detail-type. */
export function busEventSchema<T extends DetailType>(detailType: T) {
  return z
    .strictObject({
      version: z.literal('0'),
      id: z.string().min(1).describe('EventBridge envelope id (differs per delivery path; dedupe on detail.event_id).'),
      'detail-type': z.literal(detailType),
      source: z.literal(EVENT_SOURCE),
      account: z.string(),
      time: z.iso.datetime(),
      region: z.string(),
      resources: z.array(z.string()),
      detail: DETAIL_SCHEMAS[detailType],
    })
    .describe(DETAIL_SCHEMAS[detailType].description ?? detailType);
}

/** JSON Schema (2020-12) of each event as delivered; `docs/events/*.schema.json` are generated from these. */
export function eventJsonSchemas(): Record<DetailType, object> {
  const schemas = {} as Record<DetailType, object>;
  for (const detailType of DETAIL_TYPES) {
    schemas[detailType] = {
      $id: `https://keyledger.dev/schemas/events/${detailType}/v${SCHEMA_VERSION}.json`,
      title: detailType,
      ...z.toJSONSchema(busEventSchema(detailType), { target: 'draft-2020-12' }),
    };
  }
  return schemas;
}
