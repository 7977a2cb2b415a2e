import random, unicodedata, re, sys
def jaro(s,t):
    if s==t: return 1.0
    ls,lt=len(s),len(t)
    md=max(max(ls,lt)//2-1,0)
    sm=[False]*ls; tm=[False]*lt; m=0
    for i in range(ls):
        for j in range(max(0,i-md),min(i+md+1,lt)):
            if not tm[j] and s[i]==t[j]:
                sm[i]=tm[j]=True; m+=1; break
    if m==0: return 0.0
    k=tr=0
    for i in range(ls):
        if sm[i]:
            while not tm[k]: k+=1
            if s[i]!=t[k]: tr+=1
            k+=1
    return (m/ls+m/lt+(m-tr/2)/m)/3
def jw(s,t):
    j=jaro(s,t); p=0
    for a,b in zip(s[:4],t[:4]):
        if a==b: p+=1
        else: break
    return j+0.1*p*(1-j)
ments={}
cur=[];lab=None
def flush():
    global cur,lab
    if cur: ments[(lab,' '.join(cur))]=ments.get((lab,' '.join(cur)),0)+1
    cur=[];lab=None
for line in open('corpus/conll2003/train.txt'):
    parts=line.split()
    if len(parts)<2 or parts[0]=='-DOCSTART-':
        flush(); continue
    tag=parts[-1]
    if tag=='O' or tag.startswith('B-') or (tag.startswith('I-') and tag[2:]!=lab):
        flush()
    if tag!='O':
        cur.append(parts[0]); lab=tag[2:]
flush()
def fold(s): return ' '.join(re.sub(r"[^a-z0-9]+",' ',unicodedata.normalize('NFKD',s.replace('.','').replace("'",'')).encode('ascii','ignore').decode().lower()).split())
forms={}
for (l,s),c in sorted(ments.items()):
    forms.setdefault((l,fold(s)),s)
blocks={}
for (l,k),s in forms.items():
    t=k.split()
    if not t: continue
    blocks.setdefault((l,len(t),t[0][:3],t[-1][:3]),[]).append((k,s))
pairs=[]
for b,fs in blocks.items():
    for i in range(len(fs)):
        for j in range(i+1,len(fs)):
            a,bb=fs[i][0].split(),fs[j][0].split()
            diff=[(x,y) for x,y in zip(a,bb) if x!=y]
            if any(len(x)<4 or len(y)<4 or re.search(r'\d',x+y) for x,y in diff): continue
            sc=min(jw(x,y) for x,y in diff)
            if sc>=0.85: pairs.append((round(sc,4),b[0],fs[i][1],fs[j][1]))
random.seed(7)
random.shuffle(pairs)
print(len(pairs), file=sys.stderr)
for p in sorted(pairs[:200]):
    print(f"{p[1]}\t{p[2]}\t{p[3]}\t{p[0]}")
