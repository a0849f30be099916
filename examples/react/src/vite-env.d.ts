/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** URL of the companion's session endpoint, e.g. https://api.example.com/porthole/v1/session. */
  readonly VITE_PORTHOLE_TOKEN_URL?: string;
}
