import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileFilter } from '../../../src/rules/spl/compile.js';
import { recordShare } from '../../../src/rules/literal-odds.js';
import { regexRequiredRun, requiredLiterals } from '../../../src/rules/spl/literals.js';

function literalsOf(spl: string, isVerbatim?: (field: string) => boolean): string[] | null {
  const { expr, errors } = compileFilter(spl);
  assert.deepEqual(errors, []);
  return requiredLiterals(expr!, isVerbatim);
}

describe('requiredLiterals', () => {
  test('a comparison needs its longest *-free segment, lowercased', () => {
    assert.deepEqual(literalsOf('p="*AppData*devtunnel.dll"'), ['devtunnel.dll']);
    assert.deepEqual(literalsOf('p=NGROK.exe'), ['ngrok.exe']);
  });

  test('segments shorter than 3 characters are not selective', () => {
    assert.equal(literalsOf('p="*ab*"'), null);
    assert.equal(literalsOf('p=*'), null);
    assert.deepEqual(literalsOf('p="*abc*"'), ['abc']);
  });

  test('IN is the union; one unselective pattern spoils it', () => {
    assert.deepEqual(literalsOf('q IN ("*.ngrok.com", "*.ngrok.io", "*.ngrok.com")'), ['.ngrok.com', '.ngrok.io']);
    assert.equal(literalsOf('q IN ("*.ngrok.com", "*")'), null);
  });

  test('a CIDR value is no literal: an address in the network need not hold its text', () => {
    assert.equal(literalsOf('dest=172.16.0.0/12'), null);
    assert.equal(literalsOf('dest IN ("files.corp.example", 10.0.0.0/8)'), null);
    assert.equal(literalsOf('dest="fd00::/8"'), null);
    assert.equal(literalsOf('dest!=10.0.0.0/8'), null);
    assert.equal(literalsOf('NOT dest=10.0.0.0/8'), null);
    // another conjunct still gives one; a value that is no network is still text
    assert.deepEqual(literalsOf('dest=10.0.0.0/8 process_name=ngrok.exe'), ['ngrok.exe']);
    assert.deepEqual(literalsOf('dest=10.1.2.3'), ['10.1.2.3']);
  });

  test('AND takes the conjunct fewest real records hold, not the longest words', () => {
    assert.deepEqual(literalsOf('process_name=ngrok.exe process IN ("*start*", "*tcp*")'), ['ngrok.exe']);
    assert.deepEqual(literalsOf('p=* q="*devtunnel*"'), ['devtunnel']);
    assert.equal(literalsOf('p=* NOT q=abc'), null);
    // issue 20: " access " (longer) is in every Sysmon 10 message; the tool name is in almost none
    assert.deepEqual(literalsOf('process_name IN ("zrok", "zrok.exe") process IN ("* share *", "* access *", "* reserve *")'), ['zrok', 'zrok.exe']);
  });

  test('between equally rare conjuncts AND takes fewer needles, then the longer shortest one', () => {
    assert.deepEqual(literalsOf('a IN ("qzxjv1", "qzxjv2") b="*qzxjvq*"'), ['qzxjvq']);
    assert.deepEqual(literalsOf('a="*qzxjv*" b="*qzxjvqz*"'), ['qzxjvqz']);
  });

  test('OR is the union, null when any branch is unknown', () => {
    assert.deepEqual(literalsOf('a=devtunnel.dll OR b=devtunnel.exe'), ['devtunnel.dll', 'devtunnel.exe']);
    assert.equal(literalsOf('a=devtunnel.dll OR b!=x'), null);
  });

  test('NOT and != give nothing', () => {
    assert.equal(literalsOf('NOT a=ngrok'), null);
    assert.equal(literalsOf('a!=ngrok'), null);
    assert.equal(requiredLiterals({ kind: 'true' }), null);
  });

  test('fields whose value is not verbatim in the raw record contribute nothing', () => {
    const verbatim = (f: string) => f !== 'direction';
    assert.equal(literalsOf('direction=outbound', verbatim), null);
    assert.deepEqual(literalsOf('direction=outbound dest_port=7844', verbatim), ['7844']);
  });

  test('literals are returned unescaped: the caller escapes them for JSON/XML', () => {
    assert.deepEqual(literalsOf(String.raw`p="*\\Temp\\.net\\*"`), ['\\temp\\.net\\']);
  });
});

describe('regexRequiredRun', () => {
  test('a counted repetition after a class or group is not taken for text (SigmaHQ curl rule: an IP address as [0-9]{1,3})', () => {
    assert.equal(regexRequiredRun('://[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}'), '://');
    assert.equal(regexRequiredRun('(ab){2}xyz'), 'xyz');
    assert.equal(regexRequiredRun('abcd{2,}'), 'abcd');
    assert.equal(regexRequiredRun('ab{0,3}c'), 'a');
  });
  test('a brace that starts no repetition is a literal brace (RE2), text after it counts', () => {
    assert.equal(regexRequiredRun('ab{x}cd'), 'x}cd');
  });
});

describe('recordShare', () => {
  test('a common word of Windows logs outweighs a tool name, whatever their lengths', () => {
    assert.ok(recordShare(' access') > 100 * recordShare('zrok'));
    assert.ok(recordShare('system32') > 10 * recordShare('cloudflared'));
  });

  test('a needle is no more common than its rarest trigram, case folded by the caller', () => {
    assert.ok(recordShare('windows') >= recordShare('windows-qzx'));
    assert.equal(recordShare('qzx'), recordShare('qzxqzx'));
  });
});
