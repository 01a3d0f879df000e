// The MikroORM CLI looks for a config here; the one definition lives in src/config.
export { default } from './src/config/mikro-orm.config';
