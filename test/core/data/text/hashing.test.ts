import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashingFeatures } from '../../../../src/core/data/text/hashing.js';

const TEXT_FEATURES = 1024;
const featurizeText = (text: string, dim = TEXT_FEATURES) => {
  const out = new Float32Array(dim);
  hashingFeatures(dim).write(text, out);
  return out;
};

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

test('features are deterministic, L2-normalised and sized as asked', () => {
  const a = featurizeText('Will Smith joins Diplo for the World Cup song');
  assert.equal(a.length, TEXT_FEATURES);
  assert.deepEqual(a, featurizeText('Will Smith joins Diplo for the World Cup song'));
  assert.ok(Math.abs(norm(a) - 1) < 1e-5);
  assert.equal(featurizeText('hello world', 64).length, 64);
});

test('case and punctuation do not matter; empty text is all zeros', () => {
  assert.deepEqual(featurizeText('Hello, World!'), featurizeText('hello world'));
  assert.ok(featurizeText('').every((x) => x === 0));
  assert.ok(featurizeText('?!').every((x) => x === 0));
});

test('bigrams make word order count, and shared words make texts similar', () => {
  assert.notDeepEqual(featurizeText('dog bites man'), featurizeText('man bites dog'));
  const base = featurizeText('stock markets fall as interest rates rise');
  const near = featurizeText('stock markets rise as interest rates fall');
  const far = featurizeText('recipe for a perfect chocolate cake');
  assert.ok(dot(base, near) > 0.5);
  assert.ok(Math.abs(dot(base, far)) < 0.2);
});

test('repeated words grow sub-linearly (log(1 + count))', () => {
  const once = featurizeText('rain', 4096);
  const many = featurizeText('rain rain rain rain', 4096);
  // Unigram weight log(5) vs bigram 'rain rain' log(4): one dominant bucket pair, not a 4x spike.
  const top = Math.max(...many.map(Math.abs));
  assert.ok(top < 0.8 && top > 0.6, `top weight ${top}`);
  assert.ok(Math.abs(Math.max(...once.map(Math.abs)) - 1) < 1e-6);
});
