/**
 * The app's vite config for end-to-end runs (`scripts/dev.ts --e2e`): the same app, but without
 * file watching and hot reload, so an edit elsewhere in the repository cannot reload a page mid-test.
 */
import { mergeConfig } from 'vite';
import baseConfig from '../vite.config.ts';

export default mergeConfig(baseConfig, { server: { hmr: false, watch: null } });
