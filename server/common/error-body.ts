import { ApiProperty } from '@nestjs/swagger';

/** The one shape every error response has. */
export class ErrorBody {
  /** HTTP status code, repeated in the body for clients that only see the body. */
  @ApiProperty({ type: 'integer', example: 404 })
  statusCode: number;

  /** The status text, e.g. "Not Found". */
  @ApiProperty({ example: 'Not Found' })
  error: string;

  /** What went wrong and what to change, in words a person can act on. */
  @ApiProperty({ example: 'Session not found' })
  message: string;

  /** One line per invalid field, when the request body or query failed validation. */
  @ApiProperty({ required: false, type: [String] })
  details?: string[];

  /** Correlation id of the request, also in the logs. */
  @ApiProperty({ required: false })
  request_id?: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? 'Server Error' : 'Error');
}

export function errorBody(status: number, message: string, extra: Partial<ErrorBody> = {}): ErrorBody {
  return { statusCode: status, error: statusText(status), message, ...extra };
}
