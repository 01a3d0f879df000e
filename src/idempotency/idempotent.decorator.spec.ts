import { Controller, Get, Post } from '@nestjs/common';
import { Public } from '../common/public.decorator';
import { AppModule } from '../app.module';
import { Idempotent, misplacedIdempotency } from './idempotent.decorator';

@Controller('things')
class WellBound {
  @Idempotent()
  @Post()
  create(): void {}

  @Get()
  list(): void {}

  @Public()
  @Post('callback')
  callback(): void {}
}

@Controller('things')
class Forgotten {
  @Post(':id/archive')
  archive(): void {}
}

@Controller('things')
class OnARead {
  @Idempotent()
  @Get(':id')
  get(): void {}
}

@Public()
@Controller('open')
class OpenController {
  @Post()
  ping(): void {}
}

describe('misplacedIdempotency', () => {
  it('accepts @Idempotent() on POSTs behind the API key and nowhere else', () => {
    expect(misplacedIdempotency([WellBound, OpenController])).toEqual([]);
  });

  it('names a POST behind the API key that lacks it', () => {
    expect(misplacedIdempotency([Forgotten])).toEqual([
      'Forgotten.archive (POST things/:id/archive): a POST behind the API key needs @Idempotent()',
    ]);
  });

  it('names a route that carries it but is not such a POST', () => {
    expect(misplacedIdempotency([OnARead])).toEqual(['OnARead.get (GET things/:id): @Idempotent() belongs on POSTs behind the API key only']);
  });

  it('finds every controller of the app bound as it should be', () => {
    const controllers = collectControllers(AppModule.forRoot({ role: 'api' } as never));
    expect(controllers.length).toBeGreaterThan(5);
    expect(misplacedIdempotency(controllers)).toEqual([]);
  });
});

type ControllerType = new (...args: never[]) => unknown;
interface ModuleShape {
  module?: object;
  imports?: unknown[];
  controllers?: ControllerType[];
}

/** Controllers declared by a module tree (static metadata, no injector needed). */
function collectControllers(root: unknown, seen = new Set<unknown>()): ControllerType[] {
  if (!root || seen.has(root)) return [];
  seen.add(root);
  const dynamic = typeof root === 'object' ? (root as ModuleShape) : undefined;
  const type = (dynamic?.module ?? root) as object;
  const own: ControllerType[] = [...((Reflect.getMetadata('controllers', type) as ControllerType[] | undefined) ?? []), ...(dynamic?.controllers ?? [])];
  const imports: unknown[] = [...((Reflect.getMetadata('imports', type) as unknown[] | undefined) ?? []), ...(dynamic?.imports ?? [])];
  return [...own, ...imports.flatMap((child) => collectControllers(child, seen))];
}
