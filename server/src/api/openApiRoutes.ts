// GET /api/openapi.json: the REST API's OpenAPI 3.1 description, built once per process.
import { Router } from 'express';
import { buildOpenApiDocument } from './openApiDocument';

export function openApiRoutes(): Router {
  const router = Router();
  const document = buildOpenApiDocument();
  router.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}
