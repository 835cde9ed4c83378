import { createServer, type RequestListener, type Server } from 'node:http';

/** An HTTP server on a free loopback port, for the stand-ins. */
export async function listenOnLoopback(listener: RequestListener): Promise<Server> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Stops a stand-in at once, keep-alive connections included. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
