import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CreateUserDto, UserIdParam, UserResponse } from './users.dto';
import { UsersService } from './users.service';
import { ApiEndpoint } from '../openapi/api-endpoint.decorator';
import { Idempotent } from '../idempotency/idempotent.decorator';

@ApiTags('users')
@ApiBearerAuth('api-key')
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @ApiEndpoint('createUser', 'Create a user (the id may be chosen by the caller)', { errors: { 409: 'A user with this id or email already exists' } })
  @Idempotent()
  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  async create(@Body() dto: CreateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(dto));
  }

  @ApiEndpoint('getUser', 'Get a user')
  @Get(':id')
  @ApiOkResponse({ type: UserResponse })
  async get(@Param() { id }: UserIdParam): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(id));
  }

  @ApiEndpoint('deleteUser', 'Delete a user, their Spotify connection, and cancel their pending jobs')
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with the Spotify connection' })
  async delete(@Param() { id }: UserIdParam): Promise<void> {
    await this.users.delete(id);
  }
}
