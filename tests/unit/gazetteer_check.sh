#!/usr/bin/env bash
# Checks core/gazetteer.tsv (the default gazetteer) without needing arca.
# Usage: tests/unit/gazetteer_check.sh [path/to/gazetteer.tsv]
# Prints every problem with its line number and exits 1 if there is any.
set -u
here=$(cd "$(dirname "$0")" && pwd)
file=${1:-$here/../../core/gazetteer.tsv}
if [ ! -r "$file" ]; then
    echo "gazetteer_check: cannot read $file" >&2
    exit 1
fi

exec perl -CSD -Mutf8 -e '
use strict;
use warnings;
my $file = shift @ARGV;
open(my $fh, "<:raw", $file) or die "cannot open $file: $!\n";
my @cols  = qw(kind country en ko zh_hans zh_hant ja ru mn other);
my %kinds = map { $_ => 1 } qw(province city county country region);
my %countries = map { $_ => 1 } qw(KR KP CN JP MN RU TW);
my $header = join("\t", "# kind", @cols[1..$#cols]);
my $han    = qr/[\p{Han}\p{Hiragana}\p{Katakana}\x{30FC}\x{30FB}\x{3005}]/;
my %pattern = (
    en      => qr/^\p{Latin}[\p{Latin}\p{M} \x27().,-]*$/,
    ko      => qr/^\p{Hangul}[\p{Hangul} ]*$/,
    zh_hans => qr/^$han+$/,
    zh_hant => qr/^$han+$/,
    ja      => qr/^$han+$/,
    ru      => qr/^[\p{Cyrillic}(][\p{Cyrillic} ()-]*$/,
    mn      => qr/^[\p{Cyrillic}(][\p{Cyrillic} ()-]*$/,
);
my ($errors, $warnings, $rows) = (0, 0, 0);
my %where;      # column => form => [line numbers]
my %anywhere;   # form => [[line, column, skipped]]
my %count;
sub err  { my ($n, $m) = @_; print "line $n: $m\n"; $errors++; }
sub warn_ { my ($n, $m) = @_; print "line $n: warning: $m\n"; $warnings++; }
my $n = 0;
my $saw_header = 0;
while (my $raw = <$fh>) {
    $n++;
    if ($raw =~ /\r/) { err($n, "carriage return (file must use LF line ends)"); }
    my $line = $raw;
    unless (utf8::decode($line)) { err($n, "not valid UTF-8"); next; }
    $line =~ s/\r?\n\z//;
    if ($n == 1 && $line =~ /^\x{FEFF}/) { err($n, "byte order mark"); $line =~ s/^\x{FEFF}//; }
    if ($line eq $header) { $saw_header = 1; next; }
    next if $line =~ /^#/;
    if ($line eq "") { err($n, "empty line"); next; }
    my @f = split(/\t/, $line, -1);
    if (@f != 10) { err($n, scalar(@f) . " tab-separated cells, want 10"); next; }
    $rows++;
    my %d; @d{@cols} = @f;
    for my $i (0..9) {
        my $c = $f[$i];
        err($n, "$cols[$i]: leading or trailing space") if $c =~ /^\s|\s$/;
        err($n, "$cols[$i]: double quote") if $c =~ /["\x{201C}\x{201D}]/;
        err($n, "$cols[$i]: control character") if $c =~ /[\p{Cc}\x{200B}-\x{200F}\x{2028}\x{2029}\x{FEFF}]/;
        err($n, "$cols[$i]: double space") if $c =~ /  /;
    }
    my $skipped = ($d{kind} =~ s/^!//) ? 1 : 0;
    err($n, "kind \"$d{kind}\" is not one of: " . join(" ", sort keys %kinds)) unless $kinds{$d{kind}};
    if ($d{country} eq "") {
        err($n, "country is empty (allowed only for kind region)") unless $d{kind} eq "region";
    } elsif (!$countries{$d{country}}) {
        err($n, "country \"$d{country}\" is not one of: " . join(" ", sort keys %countries));
    }
    err($n, "en is empty") if $d{en} eq "";
    if ($d{country} =~ /^K[RP]$/) { err($n, "ko is empty for a Korean row") if $d{ko} eq ""; }
    for my $c (qw(en ko zh_hans zh_hant ja ru mn)) {
        next if $d{$c} eq "";
        err($n, "$c \"$d{$c}\" has characters of the wrong script") unless $d{$c} =~ $pattern{$c};
    }
    my @forms;
    for my $c (qw(en ko zh_hans zh_hant ja ru mn)) { push @forms, [$c, $d{$c}] if $d{$c} ne ""; }
    if ($d{other} ne "") {
        for my $o (split(/\|/, $d{other}, -1)) {
            if ($o eq "") { err($n, "other: empty item (stray |)"); next; }
            err($n, "other: item \"$o\" has leading or trailing space") if $o =~ /^\s|\s$/;
            push @forms, ["other", $o];
        }
    }
    my %inrow;
    for my $p (@forms) {
        my ($c, $v) = @$p;
        if (exists $inrow{$v}) { err($n, "\"$v\" repeated in $inrow{$v} and $c"); next; }
        $inrow{$v} = $c;
        push @{$where{$c}{$v}}, $n;
        push @{$anywhere{$v}}, [$n, $c, $skipped];
    }
    $count{"kind:" . ($skipped ? "!" : "") . $d{kind}}++;
    $count{"country:" . ($d{country} eq "" ? "-" : $d{country})}++;
}
close $fh;
err(0, "header line missing: \"$header\"") unless $saw_header;
for my $c (@cols) {
    next unless $where{$c};
    for my $v (sort keys %{$where{$c}}) {
        my @l = @{$where{$c}{$v}};
        err($l[0], "duplicate $c \"$v\" on lines " . join(", ", @l)) if @l > 1;
    }
}
for my $v (sort keys %anywhere) {
    my @o = @{$anywhere{$v}};
    next if @o < 2;
    my %cs = map { $_->[1] => 1 } @o;
    next if keys %cs == 1;     # same column: reported above
    my $desc = join(", ", map { "line $_->[0] $_->[1]" . ($_->[2] ? " (!)" : "") } @o);
    my $active = grep { !$_->[2] } @o;
    if ($active > 1) { err($o[0][0], "\"$v\" belongs to more than one place: $desc"); }
    else { warn_($o[0][0], "\"$v\" also in a skipped (!) row: $desc"); }
}
print join("  ", map { "$_=$count{$_}" } sort keys %count), "\n";
if ($errors) { print "gazetteer_check: $rows rows, $errors errors, $warnings warnings\n"; exit 1; }
print "gazetteer_check: $rows rows OK ($warnings warnings)\n";
exit 0;
' "$file"
