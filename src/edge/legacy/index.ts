// The legacy apiv2 toolkit for route code: parameters in, documents out.
export { readLegacyBody, LegacyBadRequest, DEFAULT_BODY_LIMITS, type BodyLimits } from './body.js';
export { parseFormPairs, rawQueryOf, type BodyFields, type FormPair } from './form-pairs.js';
export { normaliseParams, LIST_PARAMS, type LegacyParams, type ListParam } from './params.js';
export * from './document.js';
export { dryRunBody, type DryRunOutcome, type DryRunPlan } from './dry-run.js';
export { render, JSON_CONTENT_TYPE, XML_CONTENT_TYPE, type LegacyFormat, type RenderedAnswer } from './render.js';
