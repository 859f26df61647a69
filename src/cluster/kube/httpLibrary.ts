/**
 * client-node's HTTP layer with a request timeout. Its default library has none, so a hung API
 * server would hang every caller; this one gives up after `timeoutMs` and the failure becomes
 * QP_ERR_UNAVAILABLE like any other unreachable server.
 */
import {
  type HttpLibrary,
  Observable,
  type RequestContext,
  ResponseContext,
} from '@kubernetes/client-node';
import fetch from 'node-fetch';

export class TimeoutFetchLibrary implements HttpLibrary {
  constructor(private readonly timeoutMs: number) {}

  send(request: RequestContext): Observable<ResponseContext> {
    const result = fetch(request.getUrl(), {
      method: request.getHttpMethod().toString(),
      body: request.getBody() as string | undefined,
      headers: request.getHeaders(),
      agent: request.getAgent(),
      // node-fetch 2's own timeout covers the connection and the whole response body.
      timeout: this.timeoutMs,
    }).then((resp) => {
      const headers: Record<string, string> = {};
      resp.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return new ResponseContext(resp.status, headers, {
        text: () => resp.text(),
        binary: () => resp.buffer(),
      });
    });
    return new Observable(result);
  }
}
