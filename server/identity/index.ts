export { CurrentUser } from './current-user.decorator';
export type { Identity } from './identity.types';
export { Public } from './public.decorator';
