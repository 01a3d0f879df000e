// passport-spotify 2.0.0 and passport ship no types; only what src/auth uses of them (and of passport-oauth2).
declare module 'passport-spotify' {
  export type OAuthTokenCallback = (
    error: unknown,
    accessToken?: string,
    refreshToken?: string,
    params?: unknown,
  ) => void;

  export interface StrategyOptions {
    clientID: string;
    clientSecret: string;
    callbackURL: string;
    authorizationURL?: string;
    tokenURL?: string;
    userProfileURL?: string;
    scope?: string[];
    passReqToCallback?: boolean;
    pkce?: boolean | 'S256';
    state?: boolean;
    store?: object;
  }

  export class Strategy {
    constructor(options: StrategyOptions, verify: (...args: unknown[]) => void);
    name: string;
    _oauth2: {
      _authorizeUrl: string;
      _accessTokenUrl: string;
      getOAuthAccessToken(code: string, params: Record<string, string>, callback: OAuthTokenCallback): void;
    };
    authenticate(req: unknown, options?: unknown): void;
    error(error: unknown): void;
    userProfile(accessToken: string, done: (error: unknown, profile?: unknown) => void): void;
  }
}

// @types/passport is not installed; the one class src/auth uses.
declare module 'passport' {
  type Middleware = (req: unknown, res: unknown, next: (error?: unknown) => void) => void;

  export class Passport {
    use(name: string, strategy: unknown): this;
    authenticate(
      strategy: string,
      options: { session: boolean },
      callback: (error: unknown, user?: unknown, info?: unknown, status?: unknown) => void,
    ): Middleware;
  }
}
