import { Module } from '@nestjs/common';
import { ConsoleSite } from './console-site';

/** The web console's static files at /console/ (the SPA itself lives in apps/console). */
@Module({ providers: [ConsoleSite] })
export class ConsoleModule {}
