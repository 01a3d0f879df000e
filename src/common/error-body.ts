export interface FieldError {
  field: string;
  reasons: string[];
}

/** The one error shape every route answers with. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: FieldError[];
}
