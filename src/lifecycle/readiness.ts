import { Injectable } from '@nestjs/common';

/**
 * What /readyz reports besides "a snapshot is loaded": whether the process is draining (set by
 * ProcessLifecycle on SIGTERM, so a load balancer stops sending before the listener closes), and
 * which changed settings only a restart applies (set by LiveServerSettings on reload).
 */
@Injectable()
export class Readiness {
  #draining = false;
  #restartRequired: readonly string[] = [];

  get draining(): boolean {
    return this.#draining;
  }

  startDraining(): void {
    this.#draining = true;
  }

  get restartRequired(): readonly string[] {
    return this.#restartRequired;
  }

  setRestartRequired(keys: readonly string[]): void {
    this.#restartRequired = Object.freeze([...keys]);
  }
}
