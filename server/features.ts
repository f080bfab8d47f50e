import type { DynamicModule, Type } from '@nestjs/common';

/** The product's feature modules (identity, sessions, chat), mounted by AppModule. */
export const FEATURE_MODULES: Array<Type<unknown> | DynamicModule> = [];
