import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { OptionalNotNull } from '../common/validation';
import type { User } from './user.entity';

export class CreateUserDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Chosen by the caller; generated when absent', example: '2c5e8a1f-6d3b-4f7a-8e9c-0b1d2f3a4c5e' })
  @OptionalNotNull()
  @IsUUID()
  id?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptional()
  @IsEmail()
  @Length(3, 255)
  email?: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  displayName?: string;
}

export class UserIdParam {
  @ApiProperty({ format: 'uuid', example: '2c5e8a1f-6d3b-4f7a-8e9c-0b1d2f3a4c5e' })
  @IsUUID()
  id!: string;
}

export class UserResponse {
  @ApiProperty({ format: 'uuid', example: '2c5e8a1f-6d3b-4f7a-8e9c-0b1d2f3a4c5e' }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: 'ada@example.com' }) email!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Ada Lovelace' }) displayName!: string | null;
  @ApiProperty({ example: '2026-11-01T10:00:00.000Z' }) createdAt!: string;
  @ApiProperty({ example: '2026-11-01T10:00:00.000Z' }) updatedAt!: string;

  static from(user: User): UserResponse {
    return {
      id: user.id,
      email: user.email ?? null,
      displayName: user.displayName ?? null,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}
