/**
 * --upgrade-command (and any command given as one flag value): split into an argument list as a
 * shell splits words, with none of a shell's other powers, so the node shell runs exactly the
 * words the operator wrote.
 */
import { expect } from 'chai';
import { commandWords } from '../../lib/options.ts';

describe('a command given as one flag value', function () {
  it('splits at blanks; quotes group, a backslash escapes', function () {
    expect(commandWords('snap refresh microk8s --channel=1.35/stable', 'x')).to.deep.equal(['snap', 'refresh', 'microk8s', '--channel=1.35/stable']);
    expect(commandWords(`sh -c 'apt-get install -y containerd && systemctl restart containerd'`, 'x')).to.deep.equal(['sh', '-c', 'apt-get install -y containerd && systemctl restart containerd']);
    expect(commandWords('a\\ b "c \\"d\\"" \'\'', 'x')).to.deep.equal(['a b', 'c "d"', '']);
  });

  it('gives a shell operator no meaning: && is a word', function () {
    expect(commandWords('apt-get install -y containerd && systemctl restart containerd', 'x')).to.include('&&');
  });

  it('refuses an unclosed quote and an empty command in one line', function () {
    expect(() => commandWords("sh -c 'oops", 'upgrade-command')).to.throw(/^--upgrade-command has an unclosed ': it is split into words like a shell command line\. /);
    expect(() => commandWords('   ', 'upgrade-command')).to.throw(/^--upgrade-command is empty: /);
  });
});
