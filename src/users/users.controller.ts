import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CreateUserDto, UserIdParam, UserResponse } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth('api-key')
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  async create(@Body() dto: CreateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(dto));
  }

  @Get(':id')
  @ApiOkResponse({ type: UserResponse })
  async get(@Param() { id }: UserIdParam): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with the Spotify connection' })
  async delete(@Param() { id }: UserIdParam): Promise<void> {
    await this.users.delete(id);
  }
}
