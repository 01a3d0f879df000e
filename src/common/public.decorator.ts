import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Opens a route to callers without an API key (health, metrics, the OAuth callback). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
