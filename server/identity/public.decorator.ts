import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'nono:isPublic';

/** Marks a route that answers without a bearer token (guest sign-up, health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
