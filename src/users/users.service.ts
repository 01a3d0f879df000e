import { EntityManager } from '@mikro-orm/postgresql';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { CreateUserDto } from './users.dto';
import { User } from './user.entity';

export type UserDeletedListener = (userId: string, em: EntityManager) => Promise<void>;

@Injectable()
export class UsersService {
  private readonly deletedListeners: UserDeletedListener[] = [];

  constructor(private readonly em: EntityManager) {}

  async create(dto: CreateUserDto): Promise<User> {
    if (dto.id && (await this.em.count(User, { id: dto.id }))) {
      throw new ConflictException(`User ${dto.id} already exists`);
    }
    if (dto.email && (await this.em.count(User, { email: dto.email }))) {
      throw new ConflictException('A user with this email already exists');
    }
    const user = this.em.create(User, { id: dto.id, email: dto.email ?? null, displayName: dto.displayName ?? null });
    await this.em.persistAndFlush(user);
    return user;
  }

  async get(id: string): Promise<User> {
    const user = await this.em.findOne(User, { id });
    if (!user) throw new NotFoundException(`User ${id} not found`);
    return user;
  }

  /** Lets other modules (jobs) react in the same transaction, without users depending on them. */
  onUserDeleted(listener: UserDeletedListener): void {
    this.deletedListeners.push(listener);
  }

  async delete(id: string): Promise<void> {
    await this.em.transactional(async (em) => {
      const deleted = await em.nativeDelete(User, { id });
      if (!deleted) throw new NotFoundException(`User ${id} not found`);
      for (const listener of this.deletedListeners) await listener(id, em);
    });
  }
}
