/** The Marina release, reported by `marina version` (client) and `GET /v1/version` (server). */
export const marinaVersion = '0.1.0';
