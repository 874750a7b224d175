import csv, statistics as st, sys
def load(path, reg, valid, null, region, opts):
    rows=[]
    with open(path, encoding='utf-8-sig') as f:
        for r in csv.DictReader(f):
            try:
                R=int(r[reg]); V=int(r[valid]); N=int(r[null] or 0); O=[int(r[o] or 0) for o in opts]
            except (ValueError, KeyError): continue
            if R<=0: continue
            rows.append((r[region],R,V+N,O))
    return rows
def q(xs,p):
    xs=sorted(xs); return xs[int(p*(len(xs)-1))]
def report(name, rows, opts):
    regs=[r[1] for r in rows]; t=[min(r[2]/r[1],1.5) for r in rows]
    by={}
    for r,tt in zip(rows,t): by.setdefault(r[0],[]).append(tt)
    within=st.mean([st.pstdev(v) for v in by.values() if len(v)>1])
    between=st.pstdev([st.mean(v) for v in by.values()])
    tot=[sum(r[3][j] for r in rows) for j in range(len(opts))]
    small=sorted(range(len(opts)), key=lambda j: tot[j])[:3]
    vt=sum(tot)
    out=[name, len(rows), "/".join(str(q(regs,p)) for p in (0.05,0.25,0.5,0.75,0.95)), f"{st.mean(t):.3f}", f"{st.pstdev(t):.3f}", f"{within:.3f}", f"{between:.3f}"]
    for j in small:
        c=[r[3][j] for r in rows]; m=st.mean(c)
        out.append(f"{opts[j]} {100*tot[j]/vt:.2f}%: mean {m:.2f}, zero {100*sum(1 for x in c if x==0)/len(c):.0f}%, var/mean {st.pvariance(c)/m:.2f}")
    print("| "+" | ".join(str(x) for x in out)+" |")
vo=["EG","NM","LM","JABE","JOBR","AE","CF","DC","EM","BERA"]
print("| source | stations | registered p5/p25/p50/p75/p95 | turnout mean | turnout sd | sd within states | sd of state means | smallest | 2nd smallest | 3rd smallest |")
print("|---|---|---|---|---|---|---|---|---|---|")
report("Venezuela V1", load(sys.argv[1],"RE","VOTOS_VALIDOS","VOTOS_NULOS","COD_EDO",vo), vo)
so=list("ABCDEFGHIJ")
report("default simulator (24,532 stations, 10 options, seed 3)", load("sim-default/sheets.csv","registered","valid","null","region",so), so)
report("look-alike of V1 (seed 3)", load("ve-like/sheets.csv","registered","valid","null","region",vo), vo)
