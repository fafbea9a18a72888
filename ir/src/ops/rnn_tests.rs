//! Unit tests of ops/rnn.rs: values from the ONNX reference implementation (generated with
//! onnx.reference.ReferenceEvaluator, opset 23) and spec properties the reference lacks
//! (reverse/bidirectional, sequence_lens, layout).

use super::*;
use crate::F32;

fn t(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape, v.to_vec()).unwrap()
}

fn attrs(kind: RnnKind, direction: RnnDirection, hidden_size: usize) -> RnnAttrs {
    RnnAttrs {
        kind,
        direction,
        hidden_size,
        activations: vec![],
        clip: None,
        batch_major: false,
    }
}

fn run(a: RnnAttrs, ins: &[Option<&Tensor>]) -> Vec<Tensor> {
    let op = Op::Rnn(a);
    let tys: Vec<Option<TensorType>> = ins.iter().map(|t| t.map(|t| t.ty())).collect();
    let tyr: Vec<Option<&TensorType>> = tys.iter().map(|t| t.as_ref()).collect();
    let inferred = infer(&op, &tyr, &[]).unwrap();
    let out = eval(&op, ins).unwrap();
    assert_eq!(inferred, out.iter().map(|t| t.ty()).collect::<Vec<_>>());
    out
}

fn close(got: &Tensor, want: &[f32]) {
    let g = got.to_f64_vec();
    assert_eq!(g.len(), want.len());
    for (i, (a, b)) in g.iter().zip(want).enumerate() {
        assert!((a - *b as f64).abs() < 1e-5, "element {i}: {a} vs {b}");
    }
}

const LX: [f32; 12] = [
    0.1257302165031433,
    -0.13210485875606537,
    0.6404226422309875,
    0.10490011423826218,
    -0.5356693863868713,
    0.3615950644016266,
    1.3040000200271606,
    0.9470809698104858,
    -0.7037352323532104,
    -1.2654215097427368,
    -0.6232744455337524,
    0.04132597893476486,
];
const LW: [f32; 24] = [
    -1.16251540184021,
    -0.109395831823349,
    -0.6229555010795593,
    -0.3661336898803711,
    -0.27212950587272644,
    -0.1581500768661499,
    0.20581527054309845,
    0.521256685256958,
    -0.06426732987165451,
    0.6832317113876343,
    -0.3325973451137543,
    0.17575503885746002,
    0.45173507928848267,
    0.04700614884495735,
    -0.3717496395111084,
    -0.4608626961708069,
    -0.2288629114627838,
    0.11009756475687027,
    -0.5048090815544128,
    -0.10458778589963913,
    -0.07961250841617584,
    0.2704227864742279,
    0.10732956230640411,
    0.17768634855747223,
];
const LR: [f32; 36] = [
    -0.32691431045532227,
    -0.06480681896209717,
    0.39198774099349976,
    0.7467155456542969,
    -0.6295327544212341,
    0.7569618821144104,
    0.6729376912117004,
    0.3906556963920593,
    0.1322278082370758,
    -0.15696141123771667,
    0.7290103435516357,
    0.9801291823387146,
    0.9008174538612366,
    0.6575518846511841,
    0.17869020998477936,
    -0.6041592955589294,
    -0.0022270665504038334,
    0.32823747396469116,
    -0.6441807150840759,
    0.19756102561950684,
    0.21493184566497803,
    0.34802135825157166,
    -0.5920589566230774,
    -0.330851286649704,
    -0.2182176262140274,
    -0.584900975227356,
    0.8696839213371277,
    -0.24795536696910858,
    0.16448481380939484,
    -0.1292862743139267,
    0.7917364239692688,
    0.6601805090904236,
    0.3166763186454773,
    -1.101754903793335,
    0.026014486327767372,
    0.3418430984020233,
];
const LB: [f32; 24] = [
    0.5019807815551758,
    -0.30895352363586426,
    0.9110056757926941,
    -0.6602154970169067,
    -0.3307640254497528,
    0.46752500534057617,
    0.024527307599782944,
    1.001196265220642,
    0.0942595973610878,
    -0.316597044467926,
    -0.1887817531824112,
    -0.5455730557441711,
    -0.6388400793075562,
    0.31520575284957886,
    0.29058289527893066,
    0.6472793817520142,
    -0.377302885055542,
    0.8445537090301514,
    -0.14369384944438934,
    0.7872041463851929,
    -0.21639291942119598,
    -0.3677416443824768,
    0.1248926892876625,
    0.5157265663146973,
];
const LH0: [f32; 6] = [
    0.16100957989692688,
    -0.5855288505554199,
    -1.3412196636199951,
    -1.4015202522277832,
    0.5026828646659851,
    0.9897130131721497,
];
const LC0: [f32; 6] = [
    -0.16429458558559418,
    -1.0743649005889893,
    0.8730421662330627,
    -1.2803939580917358,
    -0.7130680680274963,
    0.6210178732872009,
];
const LP: [f32; 9] = [
    -2.250141143798828,
    0.38636958599090576,
    -0.5816408395767212,
    0.10927969962358475,
    -0.0757015272974968,
    0.20211438834667206,
    0.6941719651222229,
    -0.7583697438240051,
    1.420982003211975,
];
const LY: [f32; 18] = [
    -0.038304656744003296,
    -0.1956140100955963,
    0.08583316206932068,
    -0.7298421263694763,
    -0.1098257526755333,
    0.7016434073448181,
    -0.20715120434761047,
    -0.3155267536640167,
    0.09132734686136246,
    -0.7128115892410278,
    -0.15444409847259521,
    0.7400194406509399,
    -0.08763796836137772,
    -0.13043545186519623,
    0.0025120072532445192,
    -0.3999550938606262,
    -0.13744883239269257,
    0.8469973802566528,
];
const LYH: [f32; 6] = [
    -0.08763796836137772,
    -0.13043545186519623,
    0.0025120072532445192,
    -0.3999550938606262,
    -0.13744883239269257,
    0.8469973802566528,
];
const GY0: [f32; 18] = [
    0.3779066205024719,
    -0.2887805700302124,
    -0.5809524655342102,
    0.705115020275116,
    -0.698729395866394,
    -0.7088758945465088,
    0.17871889472007751,
    -0.5724074840545654,
    -0.5833910703659058,
    0.34062516689300537,
    -0.8294063806533813,
    -0.19613352417945862,
    0.006924718618392944,
    -0.8147751688957214,
    0.2647400498390198,
    0.10014733672142029,
    -0.8852030038833618,
    -0.11559143662452698,
];
const GY1: [f32; 18] = [
    0.4478025436401367,
    -0.1637759953737259,
    -0.5299150347709656,
    0.7900209426879883,
    -0.7314125299453735,
    -0.7062438726425171,
    0.2888576090335846,
    -0.3977396786212921,
    -0.44174817204475403,
    0.47041642665863037,
    -0.7345330715179443,
    0.17294439673423767,
    0.12013395130634308,
    -0.73003751039505,
    0.471760094165802,
    0.20578396320343018,
    -0.7320296764373779,
    0.2311108410358429,
];
const GX: [f32; 12] = [
    0.7260937690734863,
    0.8437326550483704,
    1.16486394405365,
    0.7875882387161255,
    0.8440786600112915,
    0.07559361308813095,
    -1.4267739057540894,
    -0.1350450962781906,
    -0.7695146203041077,
    -1.4227417707443237,
    0.25845280289649963,
    -0.5685494542121887,
];
const GW: [f32; 18] = [
    -0.5149022340774536,
    -0.5215005278587341,
    0.134208545088768,
    0.17933598160743713,
    0.6612287163734436,
    -0.006957334466278553,
    0.5209198594093323,
    0.7011324167251587,
    0.5750828385353088,
    -1.1826519966125488,
    0.6143418550491333,
    0.1698099970817566,
    0.21188567578792572,
    0.1856137067079544,
    0.19137857854366302,
    0.15970711410045624,
    -0.1794566512107849,
    -0.9508176445960999,
];
const GR: [f32; 27] = [
    -0.05445736274123192,
    -0.4018659293651581,
    0.5400816798210144,
    -0.1443832516670227,
    0.04173767939209938,
    -0.4248029887676239,
    -0.2553112208843231,
    -0.005766530986875296,
    -0.7426875829696655,
    0.15034255385398865,
    -0.053036127239465714,
    -0.5928599238395691,
    -1.1991164684295654,
    0.25652605295181274,
    -0.14879201352596283,
    -0.2650042176246643,
    -0.11807731539011002,
    0.9082379937171936,
    -0.024900484830141068,
    0.04330963268876076,
    -0.7435364127159119,
    0.8236695528030396,
    0.45874398946762085,
    0.5334674119949341,
    0.023836364969611168,
    0.45832738280296326,
    0.18547341227531433,
];
const GB: [f32; 18] = [
    0.3065945506095886,
    -0.07609648257493973,
    -0.7369439601898193,
    0.5144271850585938,
    -0.9674798250198364,
    -0.11996833235025406,
    -0.1022612452507019,
    -0.5214300751686096,
    0.30656155943870544,
    -0.10016485303640366,
    -0.2184341698884964,
    0.2599208652973175,
    -0.23828952014446259,
    0.6944900155067444,
    0.17572753131389618,
    -0.23716649413108826,
    -0.9721325039863586,
    -0.6538766026496887,
];
const GH0: [f32; 6] = [
    1.086830735206604,
    -0.050604064017534256,
    -0.2831250727176666,
    1.643251657485962,
    -1.282649278640747,
    -0.5856577754020691,
];

#[test]
fn lstm_peepholes_matches_reference() {
    let ins = [
        t(&[3, 2, 2], &LX),
        t(&[1, 12, 2], &LW),
        t(&[1, 12, 3], &LR),
        t(&[1, 24], &LB),
    ];
    let (h0, c0, p) = (t(&[1, 2, 3], &LH0), t(&[1, 2, 3], &LC0), t(&[1, 9], &LP));
    let a = attrs(
        RnnKind::Lstm {
            input_forget: false,
        },
        RnnDirection::Forward,
        3,
    );
    let out = run(
        a,
        &[
            Some(&ins[0]),
            Some(&ins[1]),
            Some(&ins[2]),
            Some(&ins[3]),
            None,
            Some(&h0),
            Some(&c0),
            Some(&p),
        ],
    );
    assert_eq!(out.len(), 3);
    close(&out[0], &LY);
    close(&out[1], &LYH);
}

#[test]
fn gru_both_reset_modes_match_reference() {
    let (x, w, r, b, h0) = (
        t(&[3, 2, 2], &GX),
        t(&[1, 9, 2], &GW),
        t(&[1, 9, 3], &GR),
        t(&[1, 18], &GB),
        t(&[1, 2, 3], &GH0),
    );
    for (lbr, want) in [(false, &GY0), (true, &GY1)] {
        let a = attrs(
            RnnKind::Gru {
                linear_before_reset: lbr,
            },
            RnnDirection::Forward,
            3,
        );
        let out = run(
            a,
            &[Some(&x), Some(&w), Some(&r), Some(&b), None, Some(&h0)],
        );
        close(&out[0], want);
        close(&out[1], &want[12..]);
    }
}

/// Reverse-in-time copy of a [seq, batch, input] f32 tensor.
fn reverse_time(x: &Tensor) -> Tensor {
    let s = x.shape().to_vec();
    let v = x.to_f64_vec();
    let row = s[1] * s[2];
    let mut out = Vec::new();
    for t in (0..s[0]).rev() {
        out.extend(v[t * row..(t + 1) * row].iter().map(|&x| x as f32));
    }
    t(&s, &out)
}

#[test]
fn bidirectional_is_forward_plus_reverse_and_reverse_is_time_flip() {
    let (x, w, r, b) = (
        t(&[3, 2, 2], &GX),
        t(&[1, 9, 2], &GW),
        t(&[1, 9, 3], &GR),
        t(&[1, 18], &GB),
    );
    let kind = RnnKind::Gru {
        linear_before_reset: false,
    };
    let fwd = run(
        attrs(kind, RnnDirection::Forward, 3),
        &[Some(&x), Some(&w), Some(&r), Some(&b)],
    );
    let xr = reverse_time(&x);
    let rev = run(
        attrs(kind, RnnDirection::Reverse, 3),
        &[Some(&xr), Some(&w), Some(&r), Some(&b)],
    );
    // Reverse on flipped input: Y_h equal to the forward Y_h, Y flipped in time.
    close(
        &rev[1],
        &fwd[1]
            .to_f64_vec()
            .iter()
            .map(|&v| v as f32)
            .collect::<Vec<_>>(),
    );
    let fy = fwd[0].to_f64_vec();
    let ry = rev[0].to_f64_vec();
    for tt in 0..3 {
        for k in 0..6 {
            assert!((fy[tt * 6 + k] - ry[(2 - tt) * 6 + k]).abs() < 1e-9);
        }
    }
    // Bidirectional with the same weights for both directions.
    let w2 = t(&[2, 9, 2], &[GW, GW].concat());
    let r2 = t(&[2, 9, 3], &[GR, GR].concat());
    let b2 = t(&[2, 18], &[GB, GB].concat());
    let bi = run(
        attrs(kind, RnnDirection::Bidirectional, 3),
        &[Some(&x), Some(&w2), Some(&r2), Some(&b2)],
    );
    let rev_x = run(
        attrs(kind, RnnDirection::Reverse, 3),
        &[Some(&x), Some(&w), Some(&r), Some(&b)],
    );
    let (by, bh) = (bi[0].to_f64_vec(), bi[1].to_f64_vec());
    let rxy = rev_x[0].to_f64_vec();
    assert_eq!(bi[0].shape(), &[3, 2, 2, 3]);
    for tt in 0..3 {
        for k in 0..6 {
            assert_eq!(by[tt * 12 + k], fy[tt * 6 + k]);
            assert_eq!(by[tt * 12 + 6 + k], rxy[tt * 6 + k]);
        }
    }
    assert_eq!(bh[..6], fwd[1].to_f64_vec()[..]);
    assert_eq!(bh[6..], rev_x[1].to_f64_vec()[..]);
}

#[test]
fn sequence_lens_freeze_state_and_zero_output() {
    let (x, w, r, b) = (
        t(&[3, 2, 2], &GX),
        t(&[1, 9, 2], &GW),
        t(&[1, 9, 3], &GR),
        t(&[1, 18], &GB),
    );
    let kind = RnnKind::Gru {
        linear_before_reset: false,
    };
    let full = run(
        attrs(kind, RnnDirection::Forward, 3),
        &[Some(&x), Some(&w), Some(&r), Some(&b)],
    );
    let lens = Tensor::from_vec(&[2], vec![3i32, 1]).unwrap();
    let out = run(
        attrs(kind, RnnDirection::Forward, 3),
        &[Some(&x), Some(&w), Some(&r), Some(&b), Some(&lens)],
    );
    let (fy, y, yh) = (
        full[0].to_f64_vec(),
        out[0].to_f64_vec(),
        out[1].to_f64_vec(),
    );
    // Batch 0 unchanged; batch 1 runs one step then Y is zero and Y_h is its step-0 output.
    assert_eq!(y[..3], fy[..3]);
    assert_eq!(y[3..6], fy[3..6]);
    assert_eq!(y[6..9], fy[6..9]);
    assert!(y[9..12].iter().chain(&y[15..18]).all(|&v| v == 0.0));
    assert_eq!(yh[3..6], fy[3..6]);
    assert_eq!(yh[..3], full[1].to_f64_vec()[..3]);
    let bad = Tensor::from_vec(&[2], vec![4i32, 1]).unwrap();
    assert!(eval(
        &Op::Rnn(attrs(kind, RnnDirection::Forward, 3)),
        &[Some(&x), Some(&w), Some(&r), Some(&b), Some(&bad)]
    )
    .is_err());
}

#[test]
fn batch_major_layout_transposes() {
    let (x, w, r) = (
        t(&[3, 2, 2], &GX),
        t(&[1, 3, 2], &GW[..6]),
        t(&[1, 3, 3], &GR[..9]),
    );
    let mut a = attrs(RnnKind::Rnn, RnnDirection::Forward, 3);
    a.activations = vec![RnnActivation::Affine {
        alpha: F32(0.5),
        beta: F32(0.1),
    }];
    let seq = run(a.clone(), &[Some(&x), Some(&w), Some(&r)]);
    // x as [batch, seq, input]
    let xv = x.to_f64_vec();
    let mut xb = vec![0f32; 12];
    for tt in 0..3 {
        for bb in 0..2 {
            for i in 0..2 {
                xb[(bb * 3 + tt) * 2 + i] = xv[(tt * 2 + bb) * 2 + i] as f32;
            }
        }
    }
    a.batch_major = true;
    let bm = run(a, &[Some(&t(&[2, 3, 2], &xb)), Some(&w), Some(&r)]);
    assert_eq!(bm[0].shape(), &[2, 3, 1, 3]);
    let (sy, by) = (seq[0].to_f64_vec(), bm[0].to_f64_vec());
    for tt in 0..3 {
        for bb in 0..2 {
            for j in 0..3 {
                assert_eq!(sy[(tt * 2 + bb) * 3 + j], by[(bb * 3 + tt) * 3 + j]);
            }
        }
    }
    assert_eq!(seq[1].to_f64_vec(), bm[1].to_f64_vec());
}

#[test]
fn clip_and_input_forget_change_lstm() {
    let ins = [
        t(&[3, 2, 2], &LX),
        t(&[1, 12, 2], &LW),
        t(&[1, 12, 3], &LR),
        t(&[1, 24], &LB),
    ];
    let refs: Vec<Option<&Tensor>> = ins.iter().map(Some).collect();
    let mut a = attrs(
        RnnKind::Lstm {
            input_forget: false,
        },
        RnnDirection::Forward,
        3,
    );
    let base = run(a.clone(), &refs);
    a.clip = Some(F32(1e-3));
    let clipped = run(a.clone(), &refs);
    // With all gate inputs clipped to ±1e-3, the gates are ~0.5 and the candidates ~0: |h| tiny.
    assert!(clipped[0].to_f64_vec().iter().all(|v| v.abs() < 2e-3));
    assert_ne!(base[0], clipped[0]);
    a.clip = None;
    a.kind = RnnKind::Lstm { input_forget: true };
    assert_ne!(run(a, &refs)[0], base[0]);
}

#[test]
fn bad_shapes_are_errors() {
    let (x, w, r) = (t(&[3, 2, 2], &GX), t(&[1, 9, 2], &GW), t(&[1, 9, 3], &GR));
    let a = Op::Rnn(attrs(RnnKind::Rnn, RnnDirection::Forward, 3));
    assert!(eval(&a, &[Some(&x), Some(&w), Some(&r)]).is_err());
    assert!(eval(&a, &[Some(&x)]).is_err());
}
