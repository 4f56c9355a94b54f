/**
 * The live WebSockets (/ws/k8s/rollouts, /ws/k8s/logs, /ws/k8s/events): the first message is One-Click's
 * JSON request with the token in it; a dropped connection is reopened with backoff, a refusal is not.
 */
import { pb } from "./pb";

export type LiveState = "connecting" | "open" | "reconnecting" | "refused";

export interface LiveOptions {
  onMessage: (data: string) => void;
  /** Called when a (re)connection opens, before any message of it: views reset what they showed. */
  onOpen?: () => void;
  onState?: (state: LiveState, reason: string) => void;
}

// Close codes the edge uses for requests that will fail again the same way.
const FINAL = new Set([4400, 4401, 4403, 4404]);

export class LiveSocket {
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly request: Record<string, unknown>,
    private readonly options: LiveOptions
  ) {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.options.onState?.(this.attempts ? "reconnecting" : "connecting", "");
    const protocol = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${protocol}://${location.host}${this.path}`);
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ ...this.request, token: pb.authStore.token }));
      this.attempts = 0;
      this.options.onOpen?.();
      this.options.onState?.("open", "");
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.options.onMessage(event.data);
    };
    socket.onclose = (event) => {
      if (this.stopped || this.socket !== socket) return;
      if (FINAL.has(event.code)) {
        this.options.onState?.("refused", event.reason || "The server refused the request.");
        return;
      }
      this.attempts++;
      const delay = Math.min(15000, 500 * 2 ** Math.min(this.attempts, 5));
      this.options.onState?.("reconnecting", event.reason || "Connection lost.");
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    // Closing a socket that is still connecting makes Chromium log an error; let it open, then close it.
    if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close(1000);
    else if (socket.readyState === WebSocket.OPEN) socket.close(1000);
  }
}
