import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorResponse {
  @ApiProperty({ example: 'title' }) field!: string;
  @ApiProperty({ type: [String], example: ['title must be longer than or equal to 1 characters'] }) reasons!: string[];
}

/** The one error shape every route answers with (see common/error-body.ts). */
export class ErrorResponse {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'title must be longer than or equal to 1 characters' }) message!: string;
  @ApiPropertyOptional({ type: [FieldErrorResponse], description: 'For validation errors: each bad field and why' })
  details?: FieldErrorResponse[];
}
