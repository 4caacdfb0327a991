/** Prints the README's configuration table (`npm run docs:config`). */
import { configTableMarkdown } from '../common/config';

process.stdout.write(configTableMarkdown() + '\n');
