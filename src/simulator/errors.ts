// Error answers in the spec's shape: `{"errors":[{"message","field","error_id"}]}`.
// error_ids taken from the spec: 10-40002 (email), 10-40008 (URL), 10-40010 (phone),
// 10-40100, 10-40300, 10-40400, 10-50000, 10-50200, 10-50300, 10-50400. The spec names
// no id for other 400s or for 429; 10-40000 and 10-42900 are the simulator's choice.

export interface SpecError {
  message: string;
  field: string;
  error_id: string;
}

export interface ErrorBody {
  errors: SpecError[];
}

export const errorIds = {
  badRequest: '10-40000',
  email: '10-40002',
  url: '10-40008',
  phone: '10-40010',
  unauthorized: '10-40100',
  notFound: '10-40400',
  tooManyRequests: '10-42900',
} as const;

export function specError(message: string, field: string, errorId: string = errorIds.badRequest): SpecError {
  return { message, field, error_id: errorId };
}

export const unauthorizedBody: ErrorBody = {
  errors: [specError('Failed to authenticate user', '', errorIds.unauthorized)],
};

export const noSuchEndpointBody: ErrorBody = {
  errors: [specError('No such endpoint', '', errorIds.notFound)],
};

/** Unknown account (or another reseller's) on an operation that declares 404. */
export const accountNotFoundBody: ErrorBody = {
  errors: [specError('Account not found', 'accountID', errorIds.notFound)],
};

/** Unknown account on the PUTs, which declare no 404: a 400 naming `accountID`. */
export const accountNotFoundField: SpecError = specError('Account not found', 'accountID');

/** The spec's example messages for injected server errors. */
export const serverErrorBodies: Record<ServerErrorStatus, ErrorBody> = {
  500: { errors: [specError('Something went wrong', '', '10-50000')] },
  502: { errors: [specError('Bad Gateway', '', '10-50200')] },
  503: { errors: [specError('Service Unavailable', '', '10-50300')] },
  504: { errors: [specError('Endpoint request timed out', '', '10-50400')] },
};

export type ServerErrorStatus = 500 | 502 | 503 | 504;
export const serverErrorStatuses = [500, 502, 503, 504] as const;
