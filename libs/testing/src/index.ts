export * from './free-port';
export * from './eventually';
export * from './app-process';
export * from './falaj-suite';
export * from './triton-binary';
