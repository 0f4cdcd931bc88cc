// Root hooks for every test run: quiet logs unless LOG_LEVEL asks for them.
import { configureLogging } from '../common/log.js';

configureLogging({ level: (process.env['LOG_LEVEL'] as 'info' | undefined) ?? 'silent' });
