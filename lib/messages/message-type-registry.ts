import type { Type } from '@nestjs/common';
import { ConflictingManifestError } from '../errors';
import { manifestOf } from './message.decorator';

/** Maps manifests to message classes, so a consumer can rebuild the class a publisher sent. */
export class MessageTypeRegistry {
  private readonly byManifest = new Map<string, Type<unknown>>();

  register(type: Type<unknown>): void {
    const manifest = manifestOf(type);
    const known = this.byManifest.get(manifest);
    if (known && known !== type) throw new ConflictingManifestError(manifest, known, type);
    this.byManifest.set(manifest, type);
  }

  typeOf(manifest: string): Type<unknown> | undefined {
    return this.byManifest.get(manifest);
  }
}
