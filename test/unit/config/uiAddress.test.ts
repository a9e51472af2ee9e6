import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressKey, recordedUiUrl, recordUiUrl, uiRecordFile } from '../../../src/config/uiAddress';

const home = () => mkdtempSync(join(tmpdir(), 'ui-address-'));

describe('the Web UI address a server recorded', () => {
  it('treats localhost, 127.0.0.1 and 0.0.0.0 as one local server, and keeps ports apart', () => {
    expect(addressKey('localhost:7233')).toBe('127.0.0.1:7233');
    expect(addressKey('0.0.0.0:7233')).toBe('127.0.0.1:7233');
    expect(addressKey('temporal.example:7233')).toBe('temporal.example:7233');
    const h = home();
    recordUiUrl(h, '127.0.0.1:7233', 'http://127.0.0.1:8233');
    recordUiUrl(h, '127.0.0.1:7300', 'http://127.0.0.1:8300');
    expect(recordedUiUrl(h, 'localhost:7233')).toBe('http://127.0.0.1:8233');
    expect(recordedUiUrl(h, 'localhost:7300')).toBe('http://127.0.0.1:8300');
    expect(recordedUiUrl(h, 'localhost:7999')).toBeUndefined();
  });

  it('ignores a missing or damaged record instead of failing a command', () => {
    const h = home();
    expect(recordedUiUrl(h, 'localhost:7233')).toBeUndefined();
    writeFileSync(uiRecordFile(h), '{not json');
    expect(recordedUiUrl(h, 'localhost:7233')).toBeUndefined();
    recordUiUrl(h, 'localhost:7233', 'http://127.0.0.1:9000');
    expect(recordedUiUrl(h, '127.0.0.1:7233')).toBe('http://127.0.0.1:9000');
  });
});
