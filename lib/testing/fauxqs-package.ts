import { readFileSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { LocalServerError } from '../errors';

/** The fauxqs release this library is tested with on Node 20. */
export const FAUXQS_FOR_NODE_20 = '1.9.2';
/** The fauxqs release this library is tested with on Node 22.5 and later. */
export const FAUXQS_FOR_NODE_22 = '2.4.1';

/** A fauxqs installation found on disk, and how to run it on this runtime. */
export interface FauxqsPackage {
  /** What `import()` is given: `fauxqs`, or an npm alias of it. */
  readonly specifier: string;
  readonly version: string;
  /** Node options the child process needs for this version on this runtime. */
  readonly nodeOptions: readonly string[];
}

type NodeVersion = readonly [major: number, minor: number];

/*
 * fauxqs 2.x keeps its state in node:sqlite, which Node 20 does not have and Node 22.5 to 22.12
 * only offer behind a flag; importing it elsewhere fails with an error that names neither fauxqs
 * nor a fix, so the version is checked before the import.
 */
const SQLITE_BEHIND_FLAG_FROM: NodeVersion = [22, 5];
const SQLITE_UNFLAGGED_FROM: NodeVersion = [22, 13];

/** npm's rule for package names, scoped or not; anything else could be a path. */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * Finds the package `specifier` as the child's `import(specifier)` will, from `fromDirectory`
 * upwards through node_modules folders (ESM resolution reads neither NODE_PATH nor global
 * folders), and checks that this runtime can run it.
 */
export function locateFauxqs(
  specifier: string,
  fromDirectory: string,
  nodeVersion: string = process.versions.node,
): FauxqsPackage {
  if (!PACKAGE_NAME.test(specifier)) {
    throw new LocalServerError(
      `The fauxqs package option must be a package name such as "fauxqs" or an npm alias of it, got ${JSON.stringify(specifier)}`,
    );
  }
  const manifest = readManifest(specifier, fromDirectory);
  if (!manifest) {
    throw new LocalServerError(
      `The local SQS server needs the "${specifier}" package, which is not installed; ` +
        `on Node ${nodeVersion} add it as a dev dependency: npm install --save-dev fauxqs@${recommendedFauxqs(nodeVersion)}`,
    );
  }
  if (manifest.name !== 'fauxqs' || typeof manifest.version !== 'string') {
    throw new LocalServerError(
      `The package "${specifier}" is ${JSON.stringify(manifest.name)}, not fauxqs; point the fauxqs package option at fauxqs or an npm alias of it`,
    );
  }
  return { specifier, version: manifest.version, nodeOptions: nodeOptionsFor(manifest.version, nodeVersion) };
}

/** The fauxqs release to install for a Node version. */
export function recommendedFauxqs(nodeVersion: string = process.versions.node): string {
  return atLeast(parseNodeVersion(nodeVersion), SQLITE_BEHIND_FLAG_FROM) ? FAUXQS_FOR_NODE_22 : FAUXQS_FOR_NODE_20;
}

function nodeOptionsFor(fauxqsVersion: string, nodeVersion: string): readonly string[] {
  const major = Number(fauxqsVersion.split('.')[0]);
  if (!(major >= 2)) {
    return [];
  }
  const node = parseNodeVersion(nodeVersion);
  if (!atLeast(node, SQLITE_BEHIND_FLAG_FROM)) {
    throw new LocalServerError(
      `fauxqs ${fauxqsVersion} needs Node.js 22.5 or later (it uses node:sqlite), and this is Node.js ${nodeVersion}: ` +
        `on Node 20 install fauxqs ${FAUXQS_FOR_NODE_20} instead (npm install --save-dev fauxqs@${FAUXQS_FOR_NODE_20}), ` +
        'or run on Node 22 or 24',
    );
  }
  return atLeast(node, SQLITE_UNFLAGGED_FROM) ? [] : ['--experimental-sqlite'];
}

interface Manifest {
  readonly name?: unknown;
  readonly version?: unknown;
}

function readManifest(specifier: string, fromDirectory: string): Manifest | undefined {
  const { root } = parse(fromDirectory);
  for (let directory = fromDirectory; ; directory = dirname(directory)) {
    let text: string | undefined;
    try {
      text = readFileSync(join(directory, 'node_modules', specifier, 'package.json'), 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Manifest) : {};
    }
    if (directory === root) {
      return undefined;
    }
  }
}

function parseNodeVersion(version: string): NodeVersion {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return [major, minor];
}

function atLeast([major, minor]: NodeVersion, [floorMajor, floorMinor]: NodeVersion): boolean {
  return major > floorMajor || (major === floorMajor && minor >= floorMinor);
}
