export * from './scopes';
export * from './principal';
export * from './token.service';
export * from './bearer';
export * from './auth.decorators';
export * from './authenticator';
export * from './auth.guard';
export * from './auth.module';
