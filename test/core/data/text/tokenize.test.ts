import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../../../src/core/data/text/tokenize.js';

test('tokenize lowercases and splits on anything not a letter or digit, in any script', () => {
  assert.deepEqual(tokenize("Trump's 2 tweets—Überraschung! 3.5%"), ['trump', 's', '2', 'tweets', 'überraschung', '3', '5']);
  assert.deepEqual(tokenize('  ,;  '), []);
  assert.deepEqual(tokenize(''), []);
});

test('scripts written without spaces are split into words, and combining marks stay inside them', () => {
  assert.deepEqual(tokenize('東京都に住んでいます'), ['東京', '都', 'に', '住', 'んで', 'い', 'ます']);
  assert.deepEqual(tokenize('नमस्ते दुनिया'), ['नमस्ते', 'दुनिया']);
});
