import { describe, expect, it } from 'vitest';
import { registrationBody, toBase64 } from './api';

describe('registration body', () => {
  it('sends the list and the base64 code, never image data', () => {
    const body = registrationBody({
      listId: 17,
      code: Uint8Array.of(0, 255, 16),
      codebookVersion: 'sha256-abc',
      sha256: 'f'.repeat(64),
      title: '  Harbour  ',
      creatorName: ' ',
    });
    expect(body).toEqual({
      listId: 17,
      code: 'AP8Q',
      codebookVersion: 'sha256-abc',
      title: 'Harbour',
      sha256: 'f'.repeat(64),
    });
  });

  it('omits listId for indexes without lists and names untitled photos', () => {
    const body = registrationBody({
      listId: null,
      code: new Uint8Array(0),
      codebookVersion: 'v',
      sha256: 's',
      title: '',
    });
    expect('listId' in body).toBe(false);
    expect(body.title).toBe('Untitled photo');
  });

  it('encodes base64 like Node', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });
});
